#!/usr/bin/python3
"""Evaluates the model on the held-out photos (lomiri-wallpapers*, never
seen in training), with PyTorch (a checkpoint) and/or libilgnet (an
exported .ilgnet run by ilgnet-score on the very same input tensors).

The evaluation set is fixed (seeded): per photo, the whole picture squashed
to the input and two random crops; each pristine and under every
degradation type at three strengths (0.1, 0.5, 0.9 of the training range).
Reported: pairwise accuracy (the pristine crop scores above its own
degraded version) overall, per type and per strength, and the ROC AUC of
pristine vs degraded across all photos, with 95 % bootstrap intervals over
photos; the JSON keeps every score for confidence.py's paired comparisons.

With --set test the same is done on the second held-out set (photos.py
--test): casual photographs from other packages that no run was watched on.

Usage: evaluate.py WORKDIR [--checkpoint CKPT] [--model M.ilgnet
       --score PATH/TO/ilgnet-score] [--json OUT.json] [--set val|test]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import torch

import confidence  # noqa: E402
import degrade  # noqa: E402
import net  # noqa: E402
import photos  # noqa: E402
from train import auc, score_all  # noqa: E402

STRENGTHS = (0.1, 0.5, 0.9)


def eval_set(photo_list, size=net.INPUT_SIZE, seed=4321, crops=3):
    rng = np.random.default_rng(seed)
    xs, meta = [], []
    for i, p in enumerate(photo_list):
        other = photo_list[(i + 7) % len(photo_list)]
        for c in range(crops):
            u = 1.3
            if c == 0:
                crop = cv2.resize(p, (round(size * u),) * 2, interpolation=cv2.INTER_AREA)
            else:
                crop = degrade.random_crop(p, rng, size, u, min_area=0.5)
            g = i * crops + c
            xs.append(degrade.to_input(crop, size))
            meta.append((g, "pristine", 0.0))
            for k in degrade.KINDS:
                oc = degrade.random_crop(other, rng, size, u)
                for s in STRENGTHS:
                    xs.append(degrade.to_input(degrade.apply(crop, k, s, rng, u, oc), size))
                    meta.append((g, k, s))
    return np.stack(xs), meta


def report(scores, meta, names=None, crops=3):
    pristine = {g: s for s, (g, k, _) in zip(scores, meta) if k == "pristine"}
    pos = [s for s, (g, k, _) in zip(scores, meta) if k == "pristine"]
    per_kind, per_strength, wins = {}, {}, []
    for s, (g, k, st) in zip(scores, meta):
        if k == "pristine":
            continue
        w = float(pristine[g] > s)
        wins.append(w)
        per_kind.setdefault(k, []).append((w, s))
        per_strength.setdefault(st, []).append(w)
    neg = [s for s, (g, k, _) in zip(scores, meta) if k != "pristine"]
    # Per photo: failures depend on the picture far more than on the
    # degradation's strength, so this is where to look first.
    per_photo = {}
    for s, (g, k, _) in zip(scores, meta):
        rec = per_photo.setdefault(g // crops, dict(pristine=[], wins=[]))
        if k == "pristine":
            rec["pristine"].append(float(s))
        else:
            rec["wins"].append(float(pristine[g] > s))
    per_photo = {(os.path.basename(names[i]) if names else str(i)):
                 dict(pristine=float(np.mean(r["pristine"])), pairwise=float(np.mean(r["wins"])))
                 for i, r in per_photo.items()}
    # Every score, so that confidence.py can resample photos and compare
    # two models on the same images afterwards.
    first = {}
    for i, (g, k, _) in enumerate(meta):
        if k == "pristine":
            first[g] = i
    images = dict(photo=[g // crops for g, _, _ in meta],
                  pristine_of=[-1 if k == "pristine" else first[g] for g, k, _ in meta],
                  kind=[k for _, k, _ in meta], strength=[st for _, _, st in meta],
                  score=[round(float(s), 7) for s in scores])
    boot = confidence.bootstrap([confidence.Scores(images)], resamples=1000)
    return dict(
        per_photo=per_photo, images=images,
        interval95=dict(pairwise=confidence.interval(boot[:, 0, 0]),
                        auc=confidence.interval(boot[:, 0, 1])),
        n_pristine=len(pos), n_degraded=len(neg),
        pairwise=float(np.mean(wins)), auc=auc(pos, neg),
        mean_pristine=float(np.mean(pos)), mean_degraded=float(np.mean(neg)),
        per_kind={k: dict(pairwise=float(np.mean([w for w, _ in v])),
                          auc=auc(pos, [s for _, s in v]),
                          mean=float(np.mean([s for _, s in v])))
                  for k, v in per_kind.items()},
        per_strength={str(k): float(np.mean(v)) for k, v in per_strength.items()})


def score_with_libilgnet(score_bin, model_path, x, batch=8, threads=2):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.f32")
        x.astype(np.float32).tofile(path)
        out = subprocess.run([score_bin, "-m", model_path, "--tensor", path,
                              "--batch", str(batch), "--threads", str(threads)],
                             check=True, capture_output=True, text=True).stdout
    scores = np.zeros(len(x), np.float32)
    for line in out.splitlines():
        if line.strip().startswith("{"):
            r = json.loads(line)
            scores[r["index"]] = r["score"]
    return scores


def markdown(rep, title):
    lines = ["| %s | pairwise | AUC vs pristine | mean score |" % title,
             "|---|---|---|---|"]
    for k in degrade.KINDS:
        r = rep["per_kind"][k]
        lines.append("| %s | %.3f | %.3f | %.3f |" % (k, r["pairwise"], r["auc"], r["mean"]))
    lines.append("| **all** | **%.3f** | **%.3f** | %.3f (pristine %.3f) |" % (
        rep["pairwise"], rep["auc"], rep["mean_degraded"], rep["mean_pristine"]))
    ci = rep["interval95"]
    lines.append("")
    lines.append("95 %% intervals, photos resampled: pairwise %.3f..%.3f, AUC %.3f..%.3f" % (
        tuple(ci["pairwise"]) + tuple(ci["auc"])))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--checkpoint")
    ap.add_argument("--model", help=".ilgnet file scored through libilgnet")
    ap.add_argument("--score", default="ilgnet-score", help="ilgnet-score binary")
    ap.add_argument("--json")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--photos", type=int, default=0, help="use only the first N (quick look)")
    ap.add_argument("--set", default="val", choices=("val", "test"),
                    help="val: the lomiri photos runs were watched on; test: the "
                    "casual photographs no run ever saw (photos.py --test)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    pics, names = photos.load(os.path.join(a.workdir, "cache", a.set + ".npz"))
    if a.photos:
        pics = pics[:a.photos]
    x, meta = eval_set(pics)
    print("eval set (%s): %d photos, %d images" % (a.set, len(pics), len(x)))
    out = {}
    if a.checkpoint:
        from export import load_checkpoint
        model, st = load_checkpoint(a.checkpoint)
        s = score_all(model, torch.from_numpy(x))
        out["pytorch"] = report(s, meta, names)
        out["pytorch"]["step"] = st["step"]
        print(markdown(out["pytorch"], "PyTorch, step %d" % st["step"]))
    if a.model:
        s2 = score_with_libilgnet(a.score, a.model, x, threads=a.threads)
        out["libilgnet"] = report(s2, meta, names)
        out["libilgnet"]["model"] = os.path.basename(a.model)
        print(markdown(out["libilgnet"], "libilgnet " + os.path.basename(a.model)))
        if a.checkpoint:
            d = float(np.abs(s2 - s).max())
            out["max_abs_diff_pytorch_libilgnet"] = d
            print("max |PyTorch - libilgnet| = %.2e" % d)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
