#!/usr/bin/python3
"""Measures a thumbnail pick against the sample clip's known timeline: the
README's picker table (ilgnet-thumbs, the model's score alone, random
scored frames).

    picker-table.py TIMELINE.json THUMBS.json FRAMES.csv [-k 5]

TIMELINE.json is what `ilgnet-sample-clip --truth` writes (segments with
start, end, kind, shot); THUMBS.json and FRAMES.csv are what
`ilgnet-thumbs -o DIR --frames-csv FRAMES.csv` writes.  A pick is clean
when it falls in a "clean" segment; shots are the timeline's, so the
count does not depend on the picker's own shot detection.
"""

import argparse
import csv
import json
import random
import sys


def segment_at(timeline, t):
    for seg in timeline:
        if seg["start"] <= t < seg["end"]:
            return seg
    return timeline[-1] if t >= timeline[-1]["end"] else None


def measure(timeline, times):
    segs = [segment_at(timeline, t) for t in times]
    clean = [s for s in segs if s and s["kind"] == "clean"]
    return len(clean), len({s["shot"] for s in clean})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("timeline")
    ap.add_argument("thumbs")
    ap.add_argument("frames")
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--draws", type=int, default=10000)
    a = ap.parse_args()
    with open(a.timeline) as f:
        timeline = json.load(f)
    with open(a.thumbs) as f:
        picks = [t["timestamp"] for t in json.load(f)["thumbnails"]][:a.k]
    with open(a.frames) as f:
        scored = [(float(r["score"]), float(r["time"])) for r in csv.DictReader(f)
                  if float(r["score"]) >= 0]
    if len(scored) < a.k:
        sys.exit("only %d scored frames" % len(scored))
    clean_shots = len({s["shot"] for s in timeline if s["kind"] == "clean"})
    rows = [("`ilgnet-thumbs`", *measure(timeline, picks))]
    top = [t for _, t in sorted(scored, reverse=True)[:a.k]]
    rows.append(("model score alone", *measure(timeline, top)))
    rng = random.Random(1)
    times = [t for _, t in scored]
    c = s = 0
    for _ in range(a.draws):
        m = measure(timeline, rng.sample(times, a.k))
        c += m[0]
        s += m[1]
    rows.append(("random scored frames (mean of %d draws)" % a.draws,
                 c / a.draws, s / a.draws))
    print("%d scored frames, K = %d, %d clean shots" % (len(scored), a.k, clean_shots))
    print("| picker | picks from clean moments | different shots |")
    print("|---|---|---|")
    for name, c, s in rows:
        cs = ("%d" % c) if isinstance(c, int) else "%.1f" % c
        ss = ("%d" % s) if isinstance(s, int) else "%.1f" % s
        print("| %s | %s / %d | %s |" % (name, cs, a.k, ss))


if __name__ == "__main__":
    main()
