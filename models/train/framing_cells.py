#!/usr/bin/python3
"""What a crop discards, learned per cell of the trunk's maps (issue 17,
fourth approach).

    framing_cells.py WORKDIR --box-tool ilgnet-box-dump [--model M]
                     [--per-photo N] [--noisy] [--steady W..] [--tau T..]
                     [--keep-share S..] [--use-a 0 1] [--hinge W..]
                     [--hidden N..] [--extra-keeps N] [--degraded-keeps N]
                     [--fold K] [--leave-out KINDS] [--out cells.npz] [--test]

(models/README.md, runs 4-7, says which settings were tried and why; the
shipped branch is run 5's: --noisy --steady 1 --tau 0.05 --keep-share 0.15
--use-a 0.)

Runs 1-3 scored a box from its maps *averaged* over the box (RoI) and over
what it discards (RoD).  An average cannot tell a 0.7 box holding the whole
photograph from a 0.5 box inside it: both average the same content.  Here
each cell c of the whole frame's maps (inception_3b pooled 2x2 and
inception_4a, 14 x 25 cells for a 16:9 frame) gets a value s(c) from a
small per-cell network (a 3x3 convolution 992 -> 16, ReLU, 1x1 to three
maps: s, and v, h for the box's vertical and horizontal edges), and a
box's composition term is what it throws away and where its edges lie:

    z(box) = L(whole) + a (L(box) - L(whole)) + t(box) - t(whole),
    t(b) = mean_c [-s(c) (1 - cover(b, c)) + v(c) band_v(b, c) + h(c) band_h(b, c)]

with L the model's one-pass logit, cover the part of cell c inside the
box and the bands half a cell either side of its edges (the formula of
src/framing-term.c).  Cutting away cells that add nothing (s < 0: a dull wall, a dark or
defocused border, a seam) raises z; cutting good picture (s > 0) lowers it.
The whole frame's score is unchanged (cover = 1 everywhere), so every
degradation result stays as it is.

Training frames come from the TRAINING photos only: each photo placed at a
random size (0.5-0.92 of each side) and position inside surroundings of
eight kinds (its own reflection, another photo tilted, its own defocused
zoom, a wall, a mosaic of two others, darkness, another photo out of
focus, a faded haze), plus the photo filling the frame (keep it).  Loss:
listwise (softmax over the 276 anchors, soft targets by IoU with the photo;
the whole frame alone for full-frame photos), with --noisy also on each frame
with sensor noise.  The configuration (--tau, --steady, --keep-share,
--use-a) is chosen on framing-eval-style cases built from the VALIDATION
photos (steady on their static scenes first, then IoU + keep / 2), or with
--fold K on the training frames of every K-th training photo held out of
the fit (the best IoU among those keeping >= 85 %; then refit on all);
--test then reports the chosen one on the TEST cases.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import framing_heads as fh  # noqa: E402
import photos  # noqa: E402

fe = fh.framing_eval()

W, H = fh.W, fh.H
A = fh.anchors(W, H)
NB = len(A)
BLOBS = ["inception_3b/output", "inception_4a/output"]
GH, GW = 14, 25          # inception_4a's grid for a 640x360 frame (227x404)


def cover(rects, gh=GH, gw=GW, w=W, h=H):
    """[n, gh*gw]: the part of each cell (the frame cut in a gh x gw grid)
    inside each rect."""
    out = np.zeros((len(rects), gh, gw), np.float32)
    xs = np.arange(gw + 1) * w / gw
    ys = np.arange(gh + 1) * h / gh
    for i, (x, y, rw, rh) in enumerate(rects):
        cx = np.clip(np.minimum(xs[1:], x + rw) - np.maximum(xs[:-1], x), 0, None) / (w / gw)
        cy = np.clip(np.minimum(ys[1:], y + rh) - np.maximum(ys[:-1], y), 0, None) / (h / gh)
        out[i] = cy[:, None] * cx[None, :]
    return out.reshape(len(rects), -1)


COVER = cover(A)


def bands(rects, d=0.5):
    """[2, n, cells]: the bands along each rect's left and right edges, and
    along its top and bottom edges (a vertical seam and a horizontal one
    look different)."""
    cw, ch = W / GW * d, H / GH * d
    v, hz = [], []
    for x, y, w, h in rects:
        v.append([(x - cw, y, 2 * cw, h), (x + w - cw, y, 2 * cw, h)])
        hz.append([(x, y - ch, w, 2 * ch), (x, y + h - ch, w, 2 * ch)])
    def cov(rs):
        rs = [(max(0, a), max(0, b), min(W, a + c) - max(0, a), min(H, b + e) - max(0, b))
              for a, b, c, e in rs]
        return cover(rs)
    return np.stack([cov([r[0] for r in v]) + cov([r[1] for r in v]),
                     cov([r[0] for r in hz]) + cov([r[1] for r in hz])])


BANDS = bands(A)


def dark(photo, others, rng, box):
    base = fh.surroundings("reflect", photo, others, rng, box).astype(np.float32)
    v = base * rng.uniform(0.03, 0.25) + rng.normal(0, rng.uniform(1, 5), base.shape)
    return np.clip(v, 0, 255).astype(np.uint8)


def defocus(photo, others, rng, box):
    o = cv2.resize(fh.cut(others[0], W / H, rng), (W, H), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(o, (0, 0), rng.uniform(5, 14))


def faded(photo, others, rng, box):
    o = cv2.resize(fh.cut(others[1], W / H, rng), (W, H), interpolation=cv2.INTER_AREA)
    o = o.astype(np.float32)
    grey = o.mean(2, keepdims=True)
    k = rng.uniform(0.15, 0.4)
    haze = rng.uniform(120, 220)
    return np.clip(haze + k * (0.5 * o + 0.5 * grey - haze), 0, 255).astype(np.uint8)


KINDS = ("reflect", "tilted", "blur", "wall", "mosaic", "dark", "defocus", "faded")


def training_frames(photo_list, rng, per_photo):
    """Frames (BGR 640x360) and the known best rect of each."""
    frames, rects = [], []
    for i, img in enumerate(photo_list):
        others = [photo_list[j] for j in rng.choice(
            [j for j in range(len(photo_list)) if j != i], 2, replace=False)]
        for r in range(per_photo):
            s = rng.uniform(0.5, 0.92)
            cw, ch = int(round(W * s)), int(round(H * s))
            x, y = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
            box = (x, y, cw, ch)
            photo = cv2.resize(fh.cut(img, W / H, rng), (cw, ch), interpolation=cv2.INTER_AREA)
            kind = KINDS[(i * per_photo + r) % len(KINDS)]
            if kind in ("dark", "defocus", "faded"):
                frame = globals()[kind](photo, others, rng, box).copy()
            else:
                frame = fh.surroundings(kind, photo, others, rng, box).copy()
            frame[y:y + ch, x:x + cw] = photo
            frames.append(frame)
            rects.append(box)
        frames.append(cv2.resize(fh.cut(img, W / H, rng, 0.05), (W, H),
                                 interpolation=cv2.INTER_AREA))
        rects.append((0, 0, W, H))
    return frames, rects


def keep_frames(photo_list, rng, n):
    """@n more well-framed frames per photo (keep them): other cuts of it,
    a little tighter (0.85-1 of the side) or mirrored.  One keep frame per
    photo is too few: the branch learned those 296 by heart (validation
    kept 87 %, test 65 %)."""
    frames = []
    for img in photo_list:
        for r in range(n):
            c = fh.cut(img, W / H, rng, 0.15)
            z = rng.uniform(0.85, 1.0)
            h, w = c.shape[:2]
            ch, cw = int(h * z), int(w * z)
            y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            c = c[y:y + ch, x:x + cw]
            if r % 2 == 0:
                c = c[:, ::-1]
            frames.append(cv2.resize(np.ascontiguousarray(c), (W, H), interpolation=cv2.INTER_AREA))
    return frames


DEGRADED = ("defocus", "motion", "underexpose", "overexpose", "low_contrast",
            "fade_black", "fade_white", "noise", "jpeg", "color_cast")


def degraded_keep_frames(photo_list, rng, n):
    """@n frames per photo filling the frame with a degradation all over
    it (blur, exposure, noise, ...: degrade.py), to keep.  Every full frame
    the branch saw before was a good photo the net scores high, so a frame
    it scores low as a whole looked like "surroundings" everywhere and it
    advised a crop (run 6's test photos: 6 of 12 crops advised on full
    frames were on frames scored below 0.55).  No crop mends a frame
    degraded all over: the advice is the framing's, not the quality's."""
    import degrade
    u = H / 227.0           # the trunk sees the frame 227 high
    frames = []
    for i, img in enumerate(photo_list):
        for r in range(n):
            f = cv2.resize(fh.cut(img, W / H, rng, 0.1), (W, H), interpolation=cv2.INTER_AREA)
            kind = DEGRADED[(i * n + r) % len(DEGRADED)]
            frames.append(np.ascontiguousarray(
                degrade.apply(f, kind, rng.uniform(0, 0.7), rng, u)))
    return frames


def noisy_copies(frames, seed):
    """The frames with fresh sensor noise (sigma 2-6 each): what a static
    camera gives from one frame to the next."""
    rng = np.random.default_rng(seed)
    return [np.clip(f + rng.normal(0, rng.uniform(2, 6), f.shape), 0, 255).astype(np.uint8)
            for f in frames]


def frame_kinds(n_photos, per_photo):
    """The kind of surroundings of each frame training_frames() makes."""
    return [KINDS[(i * per_photo + r) % len(KINDS)] if r < per_photo else "keep"
            for i in range(n_photos) for r in range(per_photo + 1)]


def dump(tool, model, frames, path, chunk=32):
    """Per frame: the anchors' one-pass scores (the coarse 55 in dumps made
    before the finer grid: only the whole frame's is read then) and the cell features
    (inception_3b pooled 2x2 ++ inception_4a, f16 [n, 992, 14, 25]),
    cached in @path."""
    if os.path.exists(path):
        z = np.load(path)
        return z["scores"], z["cells"]
    scores, cells = [], []
    for c0 in range(0, len(frames), chunk):
        part = frames[c0:c0 + chunk]
        with tempfile.TemporaryDirectory() as tmp:
            np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in part]).tofile(tmp + "/f.rgb")
            cmd = [tool, model, tmp + "/f.rgb", str(W), str(H), "--boxes", str(NB),
                   "--dump", tmp + "/d", "--first", "-t", "2"]
            for b in BLOBS:
                cmd += ["--blob", b]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            shapes = [tuple(int(v) for v in l.split()[3:6]) for l in out.splitlines()
                      if l.startswith("# blob")]
            rows = [l for l in out.splitlines() if not l.startswith("#")]
            scores.append(np.array([float(l.split()[6]) for l in rows]).reshape(len(part), NB))
            for f in range(len(part)):
                m = []
                for b, sh in enumerate(shapes):
                    name = tmp + ("/d%04d-%03d.f32" % (f, b) if len(part) > 1 else "/d%03d.f32" % b)
                    v = np.fromfile(name, np.float32, count=int(np.prod(sh))).reshape(sh)
                    if sh[1] == 2 * GH:
                        v = v[:, :2 * GH, :2 * GW].reshape(sh[0], GH, 2, GW, 2).mean((2, 4))
                    m.append(v)
                cells.append(np.concatenate(m).astype(np.float16))
        print("dumped %d/%d" % (min(c0 + chunk, len(frames)), len(frames)), flush=True)
    scores, cells = np.concatenate(scores), np.stack(cells)
    np.savez(path, scores=scores, cells=cells)
    return scores, cells


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class Cells(torch.nn.Module):
    """The maps s, v, h: a k x k convolution network over the cell
    features; and a >= 0, the weight of the box's own score."""

    def __init__(self, hidden, dim=992, k=3):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Conv2d(dim, hidden, k, padding=k // 2),
                                       torch.nn.ReLU(), torch.nn.Conv2d(hidden, 3, 1))
        self.a = torch.nn.Parameter(torch.tensor(0.0))

    def forward(self, cells, L, cov, sd, use_a=True):
        # scaled, not centred: the runtime folds 1/sd into the first
        # convolution, whose zero padding must mean the same in both
        x = cells.float() / sd
        o = self.net(x).flatten(2)                        # [n, 3, cells]
        b = torch.from_numpy(BANDS)
        d = (o[:, 0, None, :] * (1 - cov[None])).mean(2) \
            - (o[:, 1, None, :] * b[0][None]).mean(2) - (o[:, 2, None, :] * b[1][None]).mean(2)
        # relative to the whole frame (anchor 0): its score stays the model's
        if not use_a:
            return L[:, :1] - (d - d[:, :1])
        a = torch.nn.functional.softplus(self.a)
        return L[:, :1] + a * (L - L[:, :1]) - (d - d[:, :1])


def targets(rects, tau=0.05):
    """Soft targets over the anchors: the closer to the best anchor's IoU
    with the photo, the more weight (neighbours of the best are nearly as
    good; a hard label would call them as wrong as the whole frame).  A
    photo filling the frame targets the whole frame alone: "keep" is that
    anchor, not its neighbours (spread by IoU over the 25 anchors of 11/12
    of the side, the whole frame would get under a third of the weight)."""
    v = np.array([[fh.iou(a, r) for a in A] for r in rects])
    q = np.exp((v - v.max(1, keepdims=True)) / tau)
    q = q / q.sum(1, keepdims=True)
    full = np.array([tuple(r) == (0, 0, W, H) for r in rects])
    q[full] = 0
    q[full, 0] = 1
    return q.astype(np.float32)


def decision_loss(z, T, below=0.01, above=0.05):
    """The suggestion rule's own mistakes (a crop only when it beats the
    whole frame by a margin in probability: 0.02 in framing-eval and the
    element's default crop-margin), as hinges that clear 0.04 too: on a
    frame to keep every crop stays @below the whole frame + 0.01, on a
    framed one the target crop rises @above it + 0.05."""
    p = torch.sigmoid(z)
    whole = T[:, 0] > 0.5
    t = T.argmax(1)
    keep = torch.relu(p[:, 1:].max(1).values - p[:, 0] - below)
    framed = torch.relu(p[:, 0] + above - p.gather(1, t[:, None])[:, 0])
    return torch.where(whole, keep, framed).mean()


def fit(C, L, T, hidden, wd, use_a, sd, steps=2000, k=3,
        keep_share=0.25, CN=None, LN=None, steady=0.0, use=None, hinge=0.0):
    """@keep_share of each batch are photos filling the frame (keep them):
    drawn at their share of the frames (1 in per_photo + 1) they are too
    few for the rule "the whole frame unless a crop is clearly better".
    @use: the frames it may learn from (all); @hinge: weight of
    decision_loss()."""
    torch.manual_seed(0)
    net = Cells(hidden, k=k)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=wd)
    cov = torch.from_numpy(COVER)
    rng = np.random.default_rng(0)
    whole = T[:, 0] > 0.5
    use = np.ones(len(T), bool) if use is None else use
    keep_i = np.flatnonzero(whole.numpy() & use)
    framed_i = np.flatnonzero(~whole.numpy() & use)
    nk = int(round(64 * keep_share))
    for s in range(steps):
        b = np.concatenate([framed_i[rng.integers(len(framed_i), size=64 - nk)],
                            keep_i[rng.integers(len(keep_i), size=nk)]])
        z = net(C[b], L[b], cov, sd, use_a)
        loss = -(T[b] * torch.log_softmax(z, 1)).sum(1).mean()
        if hinge:
            loss = loss + hinge * decision_loss(z, T[b])
        if CN is not None:
            # the noisy copy ranks the same way, and @steady pulls the two
            # frames' logits together (the box should not move on noise)
            zn = net(CN[b], LN[b], cov, sd, use_a)
            loss = loss - (T[b] * torch.log_softmax(zn, 1)).sum(1).mean() \
                + steady * ((z - zn) ** 2).mean()
            if hinge:
                loss = loss + hinge * decision_loss(zn, T[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if s % 400 == 0:
            print("  step %d loss %.3f" % (s, loss.item()), flush=True)
    return net


def cases(WD, npz, tool, model, tag, seed=17):
    ph, _ = fe.load_photos(os.path.join(WD, "cache", npz))
    n = len(ph) if npz == "test.npz" else min(len(ph), 60)
    ph = ph[:n]
    rng = np.random.default_rng(seed)
    cs = [fe.framed_case(ph, i, rng) for i in range(n)]
    keeps = [fe.keep_case(ph, i) for i in range(n)]
    sc, cells = dump(tool, model, [c[0] for c in cs] + keeps,
                     os.path.join(WD, "cells", "cases-%s.npz" % tag))
    return dict(n=n, cases=cs, L=logit(sc), cells=cells)


def static_cases(WD, tool, model, n=30, frames=12, seed=17):
    """framing-eval's static scene for the first @n VALIDATION cases: each
    frame @frames times with fresh sensor noise (sigma 4)."""
    ph, _ = fe.load_photos(os.path.join(WD, "cache", "val.npz"))
    n = min(n, len(ph))
    rng = np.random.default_rng(seed)
    cs = [fe.framed_case(ph, i, rng) for i in range(n)]
    out = []
    for c in cs:
        base = c[0].astype(np.float32)
        out += [np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
                for _ in range(frames)]
    sc, cells = dump(tool, model, out, os.path.join(WD, "cells", "static-val-%d.npz" % n))
    return dict(n=n, frames=frames, L=logit(sc), cells=cells)


def probabilities(net, D, sd, use_a):
    """Every anchor's score on the dumped frames of @D (the model's own
    without @net)."""
    if net is None:
        z = D["L"]
    else:
        with torch.no_grad():
            z = net(torch.from_numpy(D["cells"]), torch.from_numpy(D["L"]).float(),
                    torch.from_numpy(COVER), sd, use_a).numpy()
    return 1 / (1 + np.exp(-z))


def moves(net, S, sd, use_a):
    """Share of consecutive noisy frames of one scene whose picks differ."""
    picks = [fe.suggest(A, p) for p in probabilities(net, S, sd, use_a)]
    m = [picks[i] != picks[i + 1] for c in range(S["n"])
         for i in range(c * S["frames"], (c + 1) * S["frames"] - 1)]
    return float(np.mean(m))


def evaluate_frames(net, C, L, rects, idx, sd, use_a, chunk=128):
    """Suggestion IoU on the framed frames among @idx and the keep rate
    on the full-frame ones (training frames of photos held out of the
    fit: a larger selection set than the 15 validation photos)."""
    ious, keeps = [], []
    for c0 in range(0, len(idx), chunk):
        i = idx[c0:c0 + chunk]
        p = probabilities(net, dict(cells=C[i].numpy(), L=L[i].numpy()), sd, use_a)
        for j, f in enumerate(i):
            pick = fe.suggest(A, p[j])
            if tuple(rects[f]) == (0, 0, W, H):
                keeps.append(pick == 0)
            else:
                ious.append(fe.iou(A[pick], rects[f]))
    return float(np.mean(ious)), float(np.mean(keeps))


def evaluate(net, D, sd, use_a):
    p = probabilities(net, D, sd, use_a)
    n = D["n"]
    ious, kinds = [], {}
    for f in range(n):
        v = fe.iou(A[fe.suggest(A, p[f])], D["cases"][f][1])
        ious.append(v)
        kinds.setdefault(D["cases"][f][2], []).append(v)
    keep = sum(fe.suggest(A, p[f]) == 0 for f in range(n, 2 * n))
    return float(np.mean(ious)), keep / n, {k: round(float(np.mean(v)), 3) for k, v in kinds.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--box-tool", required=True)
    ap.add_argument("--model", default=os.path.join(HERE, "..", "default.ilgnet"))
    ap.add_argument("--per-photo", type=int, default=16)
    ap.add_argument("--out", help="write the chosen cell network here (npz)")
    ap.add_argument("--tau", type=float, nargs="+", default=[0.05],
                    help="target softness(es) to try")
    ap.add_argument("--keep-share", type=float, nargs="+", default=[0.15, 0.3])
    ap.add_argument("--leave-out", nargs="+", choices=KINDS, default=[],
                    help="train without these kinds of surroundings (a measurement)")
    ap.add_argument("--noisy", action="store_true",
                    help="also train on each frame with fresh sensor noise")
    ap.add_argument("--steady", type=float, nargs="+", default=[0.0],
                    help="with --noisy: weight(s) of the clean/noisy logit "
                    "agreement to try")
    ap.add_argument("--use-a", type=int, nargs="+", default=[0, 1],
                    help="weigh the box's own score too (1) or not (0)")
    ap.add_argument("--extra-keeps", type=int, default=0,
                    help="N more full-frame cuts of each photo to keep (keep_frames)")
    ap.add_argument("--degraded-keeps", type=int, default=0,
                    help="N full frames of each photo degraded all over, to keep "
                    "(degraded_keep_frames)")
    ap.add_argument("--fold", type=int, default=0,
                    help="K: choose on the training frames of every K-th training "
                    "photo, held out of the fit (then refit on all photos)")
    ap.add_argument("--hinge", type=float, nargs="+", default=[0.0],
                    help="weight(s) of decision_loss() to try")
    ap.add_argument("--hidden", type=int, nargs="+", default=[16])
    ap.add_argument("--test", action="store_true", help="evaluate the chosen one on TEST cases")
    a = ap.parse_args()
    torch.set_num_threads(2)
    if 1 in a.use_a and any(n.startswith("framing/")
                            for n in fh.read_model(a.model)[1]["tensors"]):
        # its box scores are already adjusted by its own map (only the
        # whole frame's, all --use-a 0 reads, is the network's)
        sys.exit("framing_cells.py: --use-a 1 needs each box's own score, and %s has a "
                 "framing map that changes it: give --model a file without one "
                 "(export.py --from-model M --framing none) or --use-a 0" % a.model)
    os.makedirs(os.path.join(a.workdir, "cells"), exist_ok=True)
    train_photos, _ = photos.load(os.path.join(a.workdir, "cache", "train.npz"))
    frames, rects = training_frames(train_photos, np.random.default_rng(4), a.per_photo)
    sc, cells = dump(a.box_tool, a.model, frames,
                     os.path.join(a.workdir, "cells", "train-%d.npz" % a.per_photo))
    if 1 in a.use_a and sc.shape[1] < NB:
        sys.exit("framing_cells.py: --use-a 1 needs every anchor's own score, and the "
                 "cached dumps in %s/cells hold the coarse grid's only: move them away "
                 "or give --use-a 0" % a.workdir)
    CN = LN = None
    if a.noisy:
        scn, celln = dump(a.box_tool, a.model, noisy_copies(frames, 5),
                          os.path.join(a.workdir, "cells", "train-%d-noisy.npz" % a.per_photo))
        CN, LN = torch.from_numpy(celln), torch.from_numpy(logit(scn)).float()
    del frames
    owner = [i for i in range(len(train_photos)) for _ in range(a.per_photo + 1)]
    extra = [("keeps-%d", keep_frames, a.extra_keeps, 6),
             ("degraded-keeps-%d", degraded_keep_frames, a.degraded_keeps, 8)]
    for tag, make, n, seed in extra:
        if not n:
            continue
        kf = make(train_photos, np.random.default_rng(seed), n)
        ksc, kcells = dump(a.box_tool, a.model, kf, os.path.join(
            a.workdir, "cells", (tag + ".npz") % n))
        sc, cells = np.concatenate([sc, ksc]), np.concatenate([cells, kcells])
        rects = rects + [(0, 0, W, H)] * len(kf)
        owner += [i for i in range(len(train_photos)) for _ in range(n)]
        if CN is not None:
            kscn, kcelln = dump(a.box_tool, a.model, noisy_copies(kf, seed + 1), os.path.join(
                a.workdir, "cells", (tag + "-noisy.npz") % n))
            CN = torch.cat([CN, torch.from_numpy(kcelln)])
            LN = torch.cat([LN, torch.from_numpy(logit(kscn)).float()])
        del kf
    owner = np.array(owner)
    if a.leave_out:
        # generalisation: train without these kinds of surroundings, see
        # how the validation cases of the kinds left out fare
        kinds = frame_kinds(len(train_photos), a.per_photo) + \
            ["keep"] * (len(rects) - len(train_photos) * (a.per_photo + 1))
        keep = np.array([k not in a.leave_out for k in kinds])
        cells, sc, owner = cells[keep], sc[keep], owner[keep]
        rects = [r for r, k in zip(rects, keep) if k]
        if CN is not None:
            CN, LN = CN[torch.from_numpy(keep)], LN[torch.from_numpy(keep)]
        print("left out %s: %d training frames remain" % (
            ", ".join(a.leave_out), len(cells)), flush=True)
    C = torch.from_numpy(cells)
    L = torch.from_numpy(logit(sc)).float()
    sd = C[::7].float().std((0, 2, 3))[None, :, None, None] + 1e-3
    print("training frames", len(C), flush=True)
    VAL = cases(a.workdir, "val.npz", a.box_tool, a.model, "val")
    print("val, model alone: IoU %.3f keep %.2f %s" % evaluate(None, VAL, sd, False))
    STATIC = static_cases(a.workdir, a.box_tool, a.model)
    held = owner % a.fold == 0 if a.fold else None
    results = []
    wd = 1e-2
    grid = [dict(tau=t, steady=st, use_a=u, keep_share=k, hinge=hg, hidden=hd)
            for t in a.tau for st in a.steady for u in a.use_a for k in a.keep_share
            for hg in a.hinge for hd in a.hidden]

    def train(cfg, use=None):
        T = torch.from_numpy(targets(rects, cfg["tau"]))
        return fit(C, L, T, cfg["hidden"], wd, cfg["use_a"], sd, keep_share=cfg["keep_share"],
                   CN=CN, LN=LN, steady=cfg["steady"], use=use, hinge=cfg["hinge"])

    def describe(cfg):
        return " ".join("%s %g" % (k, v) for k, v in cfg.items())

    for cfg in grid:
        net = train(cfg, None if held is None else ~held)
        v = evaluate(net, VAL, sd, cfg["use_a"])
        mv = moves(net, STATIC, sd, cfg["use_a"])
        r = dict(cfg=cfg, net=net, moves=mv, score=v[0] + 0.5 * v[1])
        fold = ""
        if held is not None:
            fi, fk = evaluate_frames(net, C, L, rects, np.flatnonzero(held), sd, cfg["use_a"])
            # keep first (the bar is 80 %; 85 % leaves room), then IoU
            r["score"] = fi if fk >= 0.85 else fk - 1
            fold = "fold IoU %.3f keep %.3f, " % (fi, fk)
        results.append(r)
        print("%s: %sval IoU %.3f keep %.2f %s, static moves %.3f" % (
            describe(cfg), fold, *v, mv), flush=True)
    # steady first (framing-eval's bar: 1 move in 11 pairs), then the score
    still = [r for r in results if r["moves"] <= 1 / 11] or \
        [min(results, key=lambda r: r["moves"])]
    best = max(still, key=lambda r: r["score"])
    print("chosen: %s" % describe(best["cfg"]), flush=True)
    if held is not None:
        best["net"] = train(best["cfg"])
        v = evaluate(best["net"], VAL, sd, best["cfg"]["use_a"])
        print("refit on every training photo: val IoU %.3f keep %.2f %s, static moves %.3f" % (
            *v, moves(best["net"], STATIC, sd, best["cfg"]["use_a"])), flush=True)
    use_a = best["cfg"]["use_a"]
    if a.out:
        st = {k: v.numpy() for k, v in best["net"].state_dict().items()}
        np.savez(a.out, sd=sd.numpy(), use_a=use_a, **st)
    if a.test:
        TEST = cases(a.workdir, "test.npz", a.box_tool, a.model, "test")
        print("test, model alone: IoU %.3f keep %.2f %s" % evaluate(None, TEST, sd, False))
        print("TEST: IoU %.3f keep %.2f %s" % evaluate(best["net"], TEST, sd, use_a))

if __name__ == "__main__":
    sys.exit(main())
