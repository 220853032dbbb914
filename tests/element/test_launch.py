#!/usr/bin/python3
"""gst-launch-1.0 alone: scores are posted, and overlay=gauge draws a gauge.

1. `videotestsrc num-buffers=300 ! ilgnet ! fakesink` with -m prints an
   `ilgnet` message per result: scores in 0..1 on the 500 ms interval grid,
   and the end-of-stream summary tags.
2. location= and format= write the scores from gst-launch alone: JSON
   lines, CSV and WebVTT agree with the messages.
3. The same into pngenc with overlay=gauge and without: the PNGs differ only
   in the bottom-left corner, and the gauge's bar is filled in proportion to
   the score the element posted for that frame.

usage: test_launch.py TINY_MODEL WORKDIR
"""
import csv
import json
import os
import re
import subprocess
import sys

import cv2
import numpy as np

LAUNCH = "gst-launch-1.0"


def launch(args):
    r = subprocess.run([LAUNCH, "-m"] + args, capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        sys.exit("gst-launch failed:\n" + r.stdout + r.stderr)
    return r.stdout


def results(out):
    """(timestamp, score) of each `ilgnet` message, in order."""
    return [(int(m.group(1)), float(m.group(2))) for m in re.finditer(
        r"ilgnet, timestamp=\(guint64\)(\d+),.*?score=\(double\)([0-9.e+-]+)",
        out)]


def check_messages(model):
    # fakesink does not sync: the stream runs far faster than real time.
    # A queue that holds every due frame (max-queue=64) makes the count
    # exact however loaded the machine is: async drops are test-ilgnet's.
    out = launch(["videotestsrc", "num-buffers=300", "!", "ilgnet",
                  "model=" + model, "threads=1", "max-queue=64", "!",
                  "fakesink"])
    res = results(out)
    # 10 s of video, one frame per 500 ms.
    assert len(res) == 20, "%d results" % len(res)
    for ts, score in res:
        assert 0.0 <= score <= 1.0, score
        assert ts % 500000000 == 0, "timestamp %d off the 500 ms grid" % ts
    assert [t for t, _ in res] == sorted(set(t for t, _ in res))
    assert res[0][0] == 0, "the first frame is always analysed"
    m = re.search(r"ilgnet-score-mean\\?=\\?\(double\\?\)([0-9.e+-]+)", out)
    assert m, "no summary tags"
    mean = sum(s for _, s in res) / len(res)
    assert abs(float(m.group(1)) - mean) < 1e-6, (m.group(1), mean)
    print("messages: %d results, mean %.4f" % (len(res), mean))


def vtt_time(t):
    h, m, s = t.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


def check_score_files(model, workdir):
    for fmt in ("jsonl", "csv", "webvtt"):
        path = os.path.join(workdir, "scores." + fmt)
        out = launch(["videotestsrc", "num-buffers=75", "!", "ilgnet",
                      "model=" + model, "threads=1", "mode=sync",
                      "location=" + path, "format=" + fmt, "!", "fakesink"])
        res = results(out)
        assert len(res) == 5, "%d results" % len(res)  # 2.5 s, every 0.5 s
        lines = open(path).read().splitlines()
        if fmt == "jsonl":
            rows = [json.loads(l) for l in lines]
            got = [(r["pts"], r["score"]) for r in rows]
        elif fmt == "csv":
            rows = list(csv.DictReader(lines))
            got = [(int(r["pts"]), float(r["score"])) for r in rows]
        else:
            assert lines[0] == "WEBVTT"
            cues = [(l.split(" --> "), lines[i + 1]) for i, l in
                    enumerate(lines) if " --> " in l]
            got = [(vtt_time(a) * 1000000, float(t.split()[1]))
                   for (a, b), t in cues]
            ends = [vtt_time(b) for (a, b), t in cues]
            starts = [vtt_time(a) for (a, b), t in cues]
            assert starts[1:] == ends[:-1], "cues must follow each other"
            assert ends[-1] == 2500, ends[-1]   # the end of the stream
        assert len(got) == len(res), (fmt, len(got), len(res))
        for (t0, s0), (t1, s1) in zip(res, got):
            assert t0 == t1, (fmt, t0, t1)
            assert abs(s0 - s1) < 1e-3, (fmt, s0, s1)
        print("%s: %d records agree with the messages" % (fmt, len(got)))


def render(model, workdir, overlay):
    pattern = os.path.join(workdir, "%s-%%02d.png" % overlay)
    out = launch(["videotestsrc", "num-buffers=3", "!",
                  "video/x-raw,format=RGB,width=320,height=240", "!",
                  "ilgnet", "model=" + model, "threads=1", "mode=sync",
                  "interval=0", "overlay=" + overlay, "!", "videoconvert", "!",
                  "pngenc", "!", "multifilesink", "location=" + pattern])
    img = cv2.imread(pattern % 2)
    assert img is not None
    return img, results(out)


def check_gauge(model, workdir):
    plain, _ = render(model, workdir, "none")
    gauge, res = render(model, workdir, "gauge")
    score = [s for t, s in res if t == 2 * 33333333][0]
    h, w = plain.shape[:2]
    diff = np.abs(gauge.astype(int) - plain.astype(int)).sum(axis=2) > 0
    ys, xs = np.nonzero(diff)
    assert len(xs) > 0.02 * w * h, "no visible gauge"
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    assert x1 < w // 2 and y0 > h // 2, "gauge outside the bottom left"
    # The bar: frame pixels are light grey; the fill is a saturated colour.
    row = gauge[(y0 + y1) // 2, x0:x1 + 1].astype(int)
    grey = np.all(np.abs(row - 200) <= 2, axis=1)
    frame = np.nonzero(grey)[0]
    assert len(frame) >= 2, "no bar frame"
    left, right = frame.min(), frame.max()
    inner = row[left + 2:right - 1]
    sat = inner.max(axis=1) - inner.min(axis=1) > 100
    fill = np.count_nonzero(sat) / float(len(inner))
    assert abs(fill - score) < 0.05, "bar filled %.3f, score %.3f" % (
        fill, score)
    print("gauge: %dx%d at %d,%d; bar %.3f for score %.3f" % (
        x1 - x0 + 1, y1 - y0 + 1, x0, y0, fill, score))


def main(argv):
    model, workdir = argv[1], argv[2]
    os.makedirs(workdir, exist_ok=True)
    check_messages(model)
    check_score_files(model, workdir)
    check_gauge(model, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
