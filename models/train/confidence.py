#!/usr/bin/python3
"""How sure an evaluation is: bootstrap intervals over photos for the
pairwise accuracy and the ROC AUC that evaluate.py reports, and a paired
comparison of two models evaluated on the same set.

Photos, not images, are resampled: the 3 views and 117 degraded versions
of one photo rise and fall together (a picture the model dislikes drags
all of them down), so treating the 1,800 images as independent would give
intervals several times too narrow.

Usage: confidence.py EVAL.json                 # intervals of one model
       confidence.py A.json B.json             # B - A, paired
       confidence.py --ensemble A.json B.json [C.json ...]
                                               # the models' mean logit - A, paired
       [--backend pytorch|libilgnet] [--resamples N]
The JSON files are evaluate.py --json outputs (they hold every score).
"""

import argparse
import json
import sys

import numpy as np


class Scores:
    """One model's scores on an evaluation set, grouped for resampling."""

    def __init__(self, images):
        self.photo = np.asarray(images["photo"], np.int64)
        self.score = np.asarray(images["score"], np.float64)
        self.pristine_of = np.asarray(images["pristine_of"], np.int64)
        self.n_photos = int(self.photo.max()) + 1
        pos = self.pristine_of < 0
        self.pos, self.pos_photo = self.score[pos], self.photo[pos]
        order = np.argsort(self.score[~pos], kind="stable")
        self.neg = self.score[~pos][order]
        self.neg_photo = self.photo[~pos][order]
        # A degraded image wins its pair when its own pristine view scores above it.
        deg = ~pos
        self.win = (self.score[self.pristine_of[deg]] > self.score[deg]).astype(np.float64)
        self.win_photo = self.photo[deg]

    def key(self):
        return (self.photo.tobytes(), self.pristine_of.tobytes())

    def metrics(self, w):
        """Pairwise accuracy and AUC with photo p counted w[p] times."""
        ww = w[self.win_photo]
        pairwise = float((ww * self.win).sum() / ww.sum())
        wn = w[self.neg_photo]
        cum = np.concatenate(([0.0], np.cumsum(wn)))
        lo = np.searchsorted(self.neg, self.pos, "left")
        hi = np.searchsorted(self.neg, self.pos, "right")
        below = cum[lo] + 0.5 * (cum[hi] - cum[lo])
        wp = w[self.pos_photo]
        auc = float((wp * below).sum() / (wp.sum() * cum[-1]))
        return pairwise, auc


def load(path, backend=None):
    try:
        with open(path) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("confidence.py: cannot read %s: %s" % (path, e))
    if backend is None:
        backend = "libilgnet" if "libilgnet" in rep else "pytorch"
    if backend not in rep:
        sys.exit("confidence.py: %s has no %s scores" % (path, backend))
    if "images" not in rep[backend]:
        sys.exit("confidence.py: %s was written by an evaluate.py that did not keep "
                 "the scores; evaluate again" % path)
    try:
        return Scores(rep[backend]["images"])
    except (KeyError, TypeError, ValueError, IndexError) as e:
        sys.exit("confidence.py: %s: malformed scores (%s: %s)" % (path, type(e).__name__, e))


def ensemble(members):
    """The scores of a model that averages its members' logits, as a model
    exported with every member in one file would give (P = sigmoid of the
    mean of log(P / (1 - P))): a cheap way to ask whether combining already
    trained models would help before building or training one."""
    if any(m.key() != members[0].key() for m in members[1:]):
        sys.exit("confidence.py: the ensemble's files are not evaluations of the same set")
    p = np.clip(np.stack([m.score for m in members]), 1e-7, 1 - 1e-7)
    z = np.log(p / (1 - p)).mean(0)
    first = members[0]
    images = dict(photo=first.photo, pristine_of=first.pristine_of,
                  score=1 / (1 + np.exp(-z)))
    return Scores(images)


def bootstrap(models, resamples=2000, seed=0):
    """Metrics of each model under the same photo resamples: an array of
    shape (resamples, len(models), 2) holding (pairwise, AUC)."""
    n = models[0].n_photos
    rng = np.random.default_rng(seed)
    out = np.empty((resamples, len(models), 2))
    for r in range(resamples):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        for m, s in enumerate(models):
            out[r, m] = s.metrics(w)
    return out


def interval(v, level=0.95):
    a = (1 - level) / 2
    return float(np.quantile(v, a)), float(np.quantile(v, 1 - a))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("evals", nargs="+", metavar="EVAL.json")
    ap.add_argument("--backend", choices=("pytorch", "libilgnet"),
                    help="whose scores (default: libilgnet when present)")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--ensemble", action="store_true",
                    help="compare the first model with the mean logit of all the given ones")
    a = ap.parse_args()
    if a.ensemble and len(a.evals) < 2:
        ap.error("--ensemble needs two files or more")
    if not a.ensemble and len(a.evals) > 2:
        ap.error("one file for intervals, two for a comparison")
    models = [load(p, a.backend) for p in a.evals]
    labels = list(a.evals)
    if a.ensemble:
        models = [models[0], ensemble(models)]
        labels = [labels[0], "ensemble of %d" % len(a.evals)]
    elif len(models) == 2 and models[0].key() != models[1].key():
        sys.exit("confidence.py: the two files are not evaluations of the same set")
    full = [s.metrics(np.ones(s.n_photos)) for s in models]
    boot = bootstrap(models, a.resamples)
    names = ("pairwise", "AUC")
    for m, path in enumerate(labels):
        print("%s (%d photos):" % (path, models[m].n_photos))
        for i, name in enumerate(names):
            lo, hi = interval(boot[:, m, i])
            print("  %-8s %.3f  95%% interval %.3f .. %.3f" % (name, full[m][i], lo, hi))
    if len(models) == 2:
        print("second minus first, same photos resampled:")
        for i, name in enumerate(names):
            d = boot[:, 1, i] - boot[:, 0, i]
            lo, hi = interval(d)
            print("  %-8s %+.3f  95%% interval %+.3f .. %+.3f  (second higher in %.0f %% "
                  "of resamples)" % (name, full[1][i] - full[0][i], lo, hi,
                                     100.0 * float((d > 0).mean())))


if __name__ == "__main__":
    sys.exit(main())
