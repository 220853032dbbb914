#!/usr/bin/python3
"""The shipped models/default.ilgnet loads through libilgnet (ilgnet-score)
and scores photo-like images above fixed degraded versions of themselves,
for the 12 of its 13 degradation types that apply to a single picture:
always for blur, fades and noise (what thumbnail picking relies on), and
for at least 85 % of all (image, type) pairs (a model that does not look
at quality gets about half).
(Cross-fades of two synthetic pictures are not photo-like enough to be a
fair check; models/README.md has the per-type numbers of all 13 on the
held-out photos.)"""

import argparse
import os
import sys

import numpy as np

import degrade
import net
import synth
from evaluate import score_with_libilgnet

DEGRADATIONS = tuple((k, 0.8) for k in degrade.KINDS if k != "crossfade")
ALWAYS = ("defocus", "motion", "fade_black", "fade_white", "noise")
MIN_SHARE = 0.85


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--score", required=True)
    ap.add_argument("--model", required=True)
    a = ap.parse_args()
    if not os.path.exists(a.model):
        print("FAIL: %s does not exist" % a.model)
        return 1
    rng = np.random.default_rng(11)
    xs, labels = [], []
    seeds = (1, 2, 3)
    for seed in seeds:
        img = synth.photo(seed)
        other = synth.photo(seed + 100)
        xs.append(degrade.to_input(img, net.INPUT_SIZE))
        labels.append((seed, "pristine"))
        for kind, s in DEGRADATIONS:
            d = degrade.apply(img, kind, s, rng, 1.0, other)
            xs.append(degrade.to_input(d, net.INPUT_SIZE))
            labels.append((seed, kind))
    scores = score_with_libilgnet(a.score, a.model, np.stack(xs))
    failed, n, wins = 0, 0, 0
    for i, (seed, kind) in enumerate(labels):
        if kind == "pristine":
            base = scores[i]
            print("image %d pristine %.4f" % (seed, base))
            continue
        ok = scores[i] < base
        n += 1
        wins += ok
        must = kind in ALWAYS
        failed += must and not ok
        print("image %d %-12s %.4f %s" % (seed, kind, scores[i], "ok" if ok else
              "FAIL (not below pristine)" if must else "not below pristine"))
    print("%d of %d degraded images below their pristine image (at least %d%% needed)"
          % (wins, n, round(100 * MIN_SHARE)))
    if wins < MIN_SHARE * n:
        print("FAIL: too few")
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
