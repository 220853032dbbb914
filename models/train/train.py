#!/usr/bin/python3
"""Trains ilgnet-compact (or the full ILGNet) on the degradation proxy task,
resumably.

Every batch holds pairs: a good crop of a training photo (label high) and
the same crop degraded (label low; the degradation type and strength are
drawn evenly).  The loss is cross-entropy plus a ranking term on the pair,
so the net is pushed both to give absolute scores and to rank a photo
above its own degraded version.

Training runs at --low-size for --steps-low steps (adaptive head pooling,
about twice as fast), then at 227 with the exact Caffe pooling of the
exported net for the remaining steps.  State is saved atomically to
WORKDIR/ckpt/last.pt every --ckpt-minutes; running the same command again
continues from there.  --minutes stops this invocation after that long
(a checkpoint is written first), so a run can be done in steps.

Usage: train.py WORKDIR [options]     (photos.py WORKDIR must have run)
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import degrade  # noqa: E402
import net  # noqa: E402
import photos  # noqa: E402
import warmstart  # noqa: E402

# Harder degradation types are drawn more often: the exposure family and
# JPEG were the weakest on the held-out photos (0.50-0.88 pairwise after
# the first 2900 steps, against 0.94-0.99 for blur, noise and white fades).
KIND_WEIGHTS = {k: 1.0 for k in degrade.KINDS}
KIND_WEIGHTS.update(overexpose=1.8, underexpose=1.5, low_contrast=1.4,
                    fade_black=1.4, color_cast=1.3, jpeg=1.6, crossfade=1.5,
                    bad_crop=1.2, motion=1.2)


def make_pair(photos_list, rng, size, kinds, probs, min_area, shallow_focus):
    i = int(rng.integers(len(photos_list)))
    # Small sample photos cap the working resolution (see random_crop).
    u = min(rng.uniform(1.0, 1.6), min(photos_list[i].shape[:2]) * 1.15 / size)
    crop = degrade.random_crop(photos_list[i], rng, size, u, min_area)
    good = degrade.pristine_variation(crop, rng, u, shallow_focus)
    kind = kinds[rng.choice(len(kinds), p=probs)]
    other = None
    if kind == "crossfade":
        j = int(rng.integers(len(photos_list) - 1))
        j += j >= i
        other = degrade.random_crop(photos_list[j], rng, size, u)
    bad = degrade.apply(good if rng.random() < 0.5 else crop, kind,
                        rng.random(), rng, u, other)
    if rng.random() < 0.15:
        second = degrade.KINDS[int(rng.integers(len(degrade.KINDS) - 1))]
        bad = degrade.apply(bad, second, rng.random(), rng, u, other)
    return degrade.to_input(good, size), degrade.to_input(bad, size), kind


def kind_probs(kind_weights=None):
    """The degradation types and how often each is drawn: KIND_WEIGHTS with
    @kind_weights (--kind-weights) overriding some, normalised."""
    kinds = list(degrade.KINDS)
    weights = dict(KIND_WEIGHTS, **(kind_weights or {}))
    probs = np.array([weights[k] for k in kinds], np.float64)
    if not probs.sum() > 0:
        raise ValueError("every degradation type has weight 0")
    return kinds, probs / probs.sum()


def make_batch(photos_list, rng, size, pairs, art=None, art_fraction=0.0, min_area=0.35,
               shallow_focus=0.0, kind_weights=None):
    kinds, probs = kind_probs(kind_weights)
    goods, bads = [], []
    for _ in range(pairs):
        pool = art if art and rng.random() < art_fraction else photos_list
        g, b, _ = make_pair(pool, rng, size, kinds, probs, min_area, shallow_focus)
        goods.append(g)
        bads.append(b)
    x = torch.from_numpy(np.stack(goods + bads))
    y = torch.cat([torch.ones(pairs, dtype=torch.long), torch.zeros(pairs, dtype=torch.long)])
    return x, y


def parse_kind_weights(text):
    out = {}
    for item in filter(None, text.split(",")):
        k, _, v = item.partition("=")
        if k not in degrade.KINDS:
            raise argparse.ArgumentTypeError("unknown degradation type %r (known: %s)"
                                             % (k, ", ".join(degrade.KINDS)))
        out[k] = float(v)
        if not out[k] >= 0:
            raise argparse.ArgumentTypeError("weight of %s must be >= 0" % k)
    return out


def make_val_set(photos_list, size, seed=1234):
    """Fixed held-out pairs: per photo two crops (the whole picture squashed
    and a random crop), each pristine and under every degradation type."""
    rng = np.random.default_rng(seed)
    xs, kinds, groups = [], [], []
    for i, p in enumerate(photos_list):
        for c in range(2):
            u = 1.3
            if c == 0:
                import cv2
                crop = cv2.resize(p, (round(size * u),) * 2, interpolation=cv2.INTER_AREA)
            else:
                crop = degrade.random_crop(p, rng, size, u, min_area=0.5)
            g = len(set(groups))
            xs.append(degrade.to_input(crop, size))
            kinds.append("pristine")
            groups.append(g)
            for k in degrade.KINDS:
                other = photos_list[(i + 1) % len(photos_list)]
                d = degrade.apply(crop, k, rng.random(), rng, u, other)
                xs.append(degrade.to_input(d, size))
                kinds.append(k)
                groups.append(g)
    return torch.from_numpy(np.stack(xs)), kinds, groups


def auc(pos, neg):
    pos = np.asarray(pos)[:, None]
    neg = np.asarray(neg)[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


def score_all(model, x, batch=64):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(F.softmax(model(x[i:i + batch]), 1)[:, net.HIGH_INDEX])
    model.train()
    return torch.cat(out).numpy()


def pairwise_report(scores, kinds, groups):
    """Pairwise accuracy per degradation type and overall, and the AUC of
    pristine vs degraded over all photos."""
    pristine = {g: s for s, k, g in zip(scores, kinds, groups) if k == "pristine"}
    per = {}
    for s, k, g in zip(scores, kinds, groups):
        if k != "pristine":
            per.setdefault(k, []).append(float(pristine[g] > s))
    allp = [v for l in per.values() for v in l]
    pos = [s for s, k in zip(scores, kinds) if k == "pristine"]
    neg = [s for s, k in zip(scores, kinds) if k != "pristine"]
    return dict(pairwise=float(np.mean(allp)), auc=auc(pos, neg),
                per_kind={k: float(np.mean(v)) for k, v in per.items()},
                mean_pristine=float(np.mean(pos)), mean_degraded=float(np.mean(neg)))


def lr_at(step, a):
    total = a.steps_low + a.steps_high
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    start, peak = a.warmup, a.lr
    if a.restart_step and step >= a.restart_step:
        # Warm restart (e.g. after the data mix changed): a new cosine.
        start, peak = a.restart_step, a.restart_lr
    t = min(1.0, (step - start) / max(1, total - start))
    return peak * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * t)))


def adjust_schedule(a, path):
    """Lets a running job be shortened or lengthened when the shared
    machine turns out slower or faster than planned: {"steps_low": N,
    "steps_high": M} in CKPTDIR/schedule.json replaces the step counts."""
    try:
        with open(path) as f:
            s = json.load(f)
    except (OSError, ValueError):
        return
    for k in ("steps_low", "steps_high", "restart_step"):
        if k in s and int(s[k]) != getattr(a, k):
            print("schedule: %s %d -> %d" % (k, getattr(a, k), int(s[k])), flush=True)
            setattr(a, k, int(s[k]))
    if "restart_lr" in s:
        a.restart_lr = float(s["restart_lr"])


def save(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--arch", default="ilgnet-compact", choices=net.ARCHITECTURES)
    ap.add_argument("--steps-low", type=int, default=4700)
    ap.add_argument("--steps-high", type=int, default=500)
    ap.add_argument("--low-size", type=int, default=163)
    ap.add_argument("--pairs", type=int, default=16, help="pairs per batch")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--rank-weight", type=float, default=1.0)
    ap.add_argument("--auc-weight", type=float, default=0.5,
                    help="weight of the ranking term over all good x bad pairs of a "
                    "batch (different photos), which the ROC AUC measures")
    ap.add_argument("--init", default=None,
                    help="start from this checkpoint's weights, or from an exported "
                    ".ilgnet model file such as models/default.ilgnet (a fresh "
                    "optimiser and step count) when there is no checkpoint to resume")
    ap.add_argument("--restart-step", type=int, default=0,
                    help="start a second cosine at this step (0: none)")
    ap.add_argument("--restart-lr", type=float, default=5e-4)
    ap.add_argument("--art-fraction", type=float, default=0.15,
                    help="share of pairs made from the non-photo pictures")
    ap.add_argument("--min-area", type=float, default=0.15,
                    help="smallest crop, as a share of the photo's area")
    ap.add_argument("--shallow-focus", type=float, default=0.2,
                    help="share of pristine crops given a sharp subject on a blurred "
                    "background (see degrade.shallow_focus)")
    ap.add_argument("--kind-weights", type=parse_kind_weights, default={},
                    help="override KIND_WEIGHTS, e.g. tilt=1.6,crossfade=1.8")
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--keep-val-checkpoints", action="store_true",
                    help="also keep the weights at every held-out check "
                    "(CKPTDIR/val-stepN.pt), to look back at the curve")
    ap.add_argument("--ema", type=float, default=0.998,
                    help="decay of the exponential moving average of the weights "
                    "(0: none); the average is what gets exported")
    ap.add_argument("--val-every", type=int, default=300)
    ap.add_argument("--minutes", type=float, default=0, help="stop after (0: run to the end)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ckpt", default=None, help="checkpoint path (default WORKDIR/ckpt/last.pt)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    ckpt_path = a.ckpt or os.path.join(a.workdir, "ckpt", "last.pt")
    os.makedirs(os.path.dirname(ckpt_path), exist_ok=True)
    log_path = os.path.join(os.path.dirname(ckpt_path), "log.jsonl")
    train_photos, _ = photos.load(os.path.join(a.workdir, "cache", "train.npz"))
    val_photos, _ = photos.load(os.path.join(a.workdir, "cache", "val.npz"))
    art_path = os.path.join(a.workdir, "cache", "art.npz")
    art = photos.load(art_path)[0] if a.art_fraction > 0 and os.path.exists(art_path) else None

    torch.manual_seed(a.seed)
    model = net.IlgnetNet(a.arch, bn=True, dropout=0.5)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=a.weight_decay),
                             dict(params=no_decay, weight_decay=0.0)], lr=a.lr)
    step = 0
    ema = None
    if os.path.exists(ckpt_path):
        st = torch.load(ckpt_path)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step = st["step"]
        ema = st.get("ema")
        print("resumed at step %d" % step, flush=True)
    elif a.init and a.init.endswith(".ilgnet"):
        # BatchNorm statistics come from a few batches of the training mix.
        calib = torch.cat([make_batch(train_photos, np.random.default_rng([a.seed, 999983, i]),
                                      a.low_size, a.pairs, art, a.art_fraction,
                                      a.min_area, a.shallow_focus)[0] for i in range(4)])
        model.load_state_dict(warmstart.load(a.init, calib, a.arch).state_dict())
        print("initialised from the model file %s" % a.init, flush=True)
    elif a.init:
        init = torch.load(a.init)
        model.load_state_dict(init.get("ema") or init["model"])
        print("initialised from %s" % a.init, flush=True)
    if a.ema > 0 and ema is None:
        ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    ema_model = None
    adjust_schedule(a, os.path.join(os.path.dirname(ckpt_path), "schedule.json"))
    total = a.steps_low + a.steps_high
    rng = np.random.default_rng([a.seed, step])
    val_cache = {}
    t_start = t_ckpt = time.time()
    n_img, t_rate = 0, time.time()
    run_loss = run_acc = 0.0

    def checkpoint():
        save(ckpt_path, dict(model=model.state_dict(), opt=opt.state_dict(), step=step,
                             arch=a.arch, args=vars(a), ema=ema))

    def averaged():
        """The net with the averaged weights (BatchNorm statistics too)."""
        nonlocal ema_model
        if ema_model is None:
            ema_model = net.IlgnetNet(a.arch, bn=True, dropout=0.5)
        ema_model.load_state_dict(ema)
        return ema_model

    model.train()
    while step < total:
        size = a.low_size if step < a.steps_low else net.INPUT_SIZE
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a)
        x, y = make_batch(train_photos, rng, size, a.pairs, art, a.art_fraction, a.min_area,
                          a.shallow_focus, a.kind_weights)
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.05)
        z = logits[:, 1] - logits[:, 0]
        rank = F.softplus(-(z[:a.pairs] - z[a.pairs:])).mean()
        cross = F.softplus(-(z[:a.pairs, None] - z[None, a.pairs:])).mean()
        total_loss = loss + a.rank_weight * rank + a.auc_weight * cross
        opt.zero_grad(set_to_none=True)
        total_loss.backward()
        opt.step()
        step += 1
        if ema is not None:
            # The held-out check swings by +-0.04 between checks with the raw
            # weights; an average over the last few hundred steps is steadier.
            d = min(a.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for k, v in model.state_dict().items():
                    if v.dtype.is_floating_point:
                        ema[k].mul_(d).add_(v.detach(), alpha=1 - d)
                    else:
                        ema[k].copy_(v)
        n_img += len(x)
        run_loss = 0.98 * run_loss + 0.02 * float(total_loss)
        run_acc = 0.98 * run_acc + 0.02 * float((logits.argmax(1) == y).float().mean())
        if step % 20 == 0:
            adjust_schedule(a, os.path.join(os.path.dirname(ckpt_path), "schedule.json"))
            total = a.steps_low + a.steps_high
            now = time.time()
            rate = n_img / (now - t_rate)
            n_img, t_rate = 0, now
            rec = dict(step=step, size=size, lr=lr_at(step, a), loss=run_loss,
                       acc=run_acc, img_s=rate, t=now)
            print(json.dumps(rec), flush=True)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if step % a.val_every == 0 or step == total or step == a.steps_low:
            if size not in val_cache:
                val_cache[size] = make_val_set(val_photos, size)
            vx, vk, vg = val_cache[size]
            rep = pairwise_report(score_all(model, vx), vk, vg)
            rec = dict(step=step, size=size, val=rep, t=time.time())
            if ema is not None:
                rec["val_ema"] = pairwise_report(score_all(averaged(), vx), vk, vg)
            if a.keep_val_checkpoints:
                save(os.path.join(os.path.dirname(ckpt_path), "val-step%d.pt" % step),
                     dict(model=model.state_dict(), ema=ema, step=step, arch=a.arch,
                          args=vars(a), val=rep))
            print(json.dumps(rec), flush=True)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if time.time() - t_ckpt > a.ckpt_minutes * 60 or step == a.steps_low:
            checkpoint()
            t_ckpt = time.time()
        if a.minutes and time.time() - t_start > a.minutes * 60:
            break
    checkpoint()
    print("stopped at step %d of %d" % (step, total), flush=True)


if __name__ == "__main__":
    sys.exit(main())
