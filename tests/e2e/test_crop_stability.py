"""Framing advice is steady: on the slowly panning sample clip the element's
suggested crop (crop=multi) moves far less often inside clean shots than
each frame's own best candidate (crop-margin=0 crop-hold=1), as measured by
examples/framing/crop-stability.py; the score file says honestly which
score is which, and its advice fields (crop_zoom, crop_offset_x/y) what the
crop says; examples/framing/advice.py turns them into the right words."""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import sys

import cv2

from e2e_util import check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--examples", required=True)
ap.add_argument("--clip", required=True)
ap.add_argument("--truth", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
need_model(a.source_root)
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)

uri = "file://" + os.path.abspath(a.clip)
env = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def score(name, extra):
    out = os.path.join(a.work, name + ".jsonl")
    # Two results a second (framing.sh uses four) keeps the test short.
    p = run(["gst-launch-1.0", "-q", "uridecodebin", "uri=" + uri,
             "caps=video/x-raw", "expose-all-streams=false", "!",
             "videoconvert", "!", "ilgnet", "crop=multi", "mode=sync",
             "interval=500000000", "threads=1", "location=" + out] + extra +
            ["!", "fakesink"], env=env)
    check(p.returncode == 0, "%s: pipeline runs" % name)
    return out


def changes(path):
    p = run([sys.executable, os.path.join(a.examples, "framing",
                                          "crop-stability.py"), path,
             "--timeline", a.truth])
    check(p.returncode == 0, "crop-stability.py reads %s" % path)
    m = re.search(r"crop changed (\d+) times \((\d+)% of pairs\)", p.stdout)
    n = re.search(r"pairs counted (\d+)", p.stdout)
    check(m and n, "crop-stability.py output parses: %r" % p.stdout)
    return int(m.group(1)), int(n.group(1))


# Side by side: one scoring thread each.
with concurrent.futures.ThreadPoolExecutor(2) as ex:
    raw = ex.submit(score, "every-frame", ["crop-margin=0", "crop-hold=1"])
    steady = ex.submit(score, "steady", [])
    raw, steady = raw.result(), steady.result()

raw_n, pairs = changes(raw)
steady_n, pairs2 = changes(steady)
print("suggestion changed in %d of %d pairs (each frame's best: %d)"
      % (steady_n, pairs, raw_n))
check(pairs == pairs2 and pairs >= 20, "same results, enough pairs (%d)"
      % pairs)
check(steady_n <= pairs * 0.15,
      "steady suggestion: %d changes in %d pairs" % (steady_n, pairs))
check(steady_n < raw_n or raw_n <= 1,
      "fewer changes than each frame's best (%d vs %d)" % (steady_n, raw_n))

cap = cv2.VideoCapture(a.clip)
size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
        int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
cap.release()
recs = [json.loads(l) for l in open(steady) if l.strip()]
for r in recs:
    check("frame_score" in r and "keep_framing" in r,
          "frame_score and keep_framing in every record")
    c = r["crop"]
    whole = (c["x"], c["y"], c["width"], c["height"]) == (0, 0) + size
    # "keep the framing" is exactly "the suggestion is the whole frame".
    check(whole == r["keep_framing"], "keep_framing at %.2f s matches the "
          "crop %r" % (r["time"], c))
    if whole:
        check(abs(r["score"] - r["frame_score"]) < 1e-6,
              "whole frame at %.2f s: score is the frame's" % r["time"])
    # The advice: zoom by the ratio of sides, centres' offset in frame sizes
    # (to 4 decimals); keeping the framing is zoom 1 at the centre.
    W, H = size
    zoom = ((W * H) / (c["width"] * c["height"])) ** 0.5
    dx = (c["x"] + c["width"] / 2 - W / 2) / W
    dy = (c["y"] + c["height"] / 2 - H / 2) / H
    check(abs(r["crop_zoom"] - zoom) < 6e-5 and abs(r["crop_offset_x"] - dx)
          < 6e-5 and abs(r["crop_offset_y"] - dy) < 6e-5,
          "advice at %.2f s: zoom %s, offset %s,%s for crop %r" % (
              r["time"], r["crop_zoom"], r["crop_offset_x"],
              r["crop_offset_y"], c))

# advice.py says it in words, a line each time it changes, and the words
# follow the numbers: keep iff keep_framing, left/right/up/down past 2 % of
# the frame, "zoom in" from 1.05x.
p = run([sys.executable, os.path.join(a.examples, "framing", "advice.py"),
         "--scores", steady])
check(p.returncode == 0, "advice.py --scores runs")
lines = p.stdout.splitlines()
by_time = {round(r["time"], 2): r for r in recs}
check(len(lines) >= 2, "advice changes along the clip (%d lines)" % len(lines))
for ln in lines:
    t = round(float(ln.split()[0]), 2)
    r = by_time.get(t)
    check(r is not None, "advice line at a result's time: %r" % ln)
    text = ln.split("  ")[-1]
    dx, dy, zoom = r["crop_offset_x"], r["crop_offset_y"], r["crop_zoom"]
    want = {"keep": r["keep_framing"],
            "left": not r["keep_framing"] and dx <= -0.02,
            "right": not r["keep_framing"] and dx >= 0.02,
            "up": not r["keep_framing"] and dy <= -0.02,
            "down": not r["keep_framing"] and dy >= 0.02,
            "zoom in": not r["keep_framing"] and zoom >= 1.05}
    got = {k: k in text for k in want}
    check(got == want, "advice %r for zoom %.3f, offset %.3f,%.3f, keep %s"
          % (text, zoom, dx, dy, r["keep_framing"]))
print("advice: %d lines, e.g. %r" % (len(lines), lines[-1].split("  ")[-1]))
