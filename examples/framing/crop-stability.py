#!/usr/bin/python3
"""How steady the ilgnet element's suggested crop is.

    crop-stability.py SCORES.jsonl [--timeline T.json]

SCORES.jsonl is the element's score file written with crop=multi
(location=... format=jsonl).  Prints how often the suggested crop changes
between consecutive results and how much (IoU); with the timeline of an
ilgnet-sample-clip video, only pairs inside the same clean shot count, so
cuts and fades do not. Framing advice should not jitter: on a static or
slowly panning scene the box should rarely move.
"""
import argparse
import json
import sys


def iou(a, b):
    x0, y0 = max(a["x"], b["x"]), max(a["y"], b["y"])
    x1 = min(a["x"] + a["width"], b["x"] + b["width"])
    y1 = min(a["y"] + a["height"], b["y"] + b["height"])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a["width"] * a["height"] + b["width"] * b["height"] - inter
    return inter / union if union else 1.0


ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("scores")
ap.add_argument("--timeline")
a = ap.parse_args()
recs = [json.loads(l) for l in open(a.scores) if l.strip()]
recs = [r for r in recs if "crop" in r]
if len(recs) < 2:
    sys.exit("crop-stability.py: fewer than 2 results with a crop "
             "(was the file written with crop=multi?)")


def shot_of(t):
    if not a.timeline:
        return 0
    for seg in timeline:
        if seg["start"] <= t < seg["end"]:
            return seg["shot"] if seg["kind"] == "clean" else None
    return None


timeline = json.load(open(a.timeline)) if a.timeline else None
pairs = [(p, q) for p, q in zip(recs, recs[1:])
         if shot_of(p["time"]) is not None
         and shot_of(p["time"]) == shot_of(q["time"])]
ious = [iou(p["crop"], q["crop"]) for p, q in pairs]
moves = [v for v in ious if v < 0.999]
print("results %d, consecutive pairs counted %d" % (len(recs), len(pairs)))
if not pairs:
    sys.exit(0)
print("crop changed %d times (%.0f%% of pairs); mean IoU %.3f, "
      "worst %.3f" % (len(moves), 100.0 * len(moves) / len(pairs),
                      sum(ious) / len(ious), min(ious)))
