"""ilgnet-thumbs on a generated clip whose bad moments are known: picks
never come from black, faded, cross-faded or blurred frames, come from
different shots, and the JPEGs show the frames the JSON names."""
import argparse
import json
import os
import re
import shutil

import cv2
import numpy as np

from e2e_util import check, load_truth, need_model, read_frames, run, \
    segment_at

ap = argparse.ArgumentParser()
ap.add_argument("--thumbs", required=True)
ap.add_argument("--clip", required=True)
ap.add_argument("--truth", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--fps", type=int, default=25)
a = ap.parse_args()
need_model(a.source_root)
truth = load_truth(a.truth)
clean_shots = sorted({s["shot"] for s in truth if s["kind"] == "clean"})
length = truth[-1]["end"]
shutil.rmtree(a.work, ignore_errors=True)

for k in (len(clean_shots), 3):
    out = os.path.join(a.work, "k%d" % k)
    p = run([a.thumbs, a.clip, "-k", str(k), "-o", out, "--interval", "0.5",
             "--progress", "always"])
    check(p.returncode == 0, "k=%d: exit status 0" % k)

    # Progress: plain lines when stderr is not a terminal, ending in "done".
    # A line drawn at position 0 has no rate yet: "ETA --:--" and no speed
    # (whether such a line is drawn depends on timing).
    hms = r"(\d+:)?\d+:\d\d"
    bar = re.compile(r"scoring \[[#-]{30}\] +\d+%% %s/%s "
                     r"(ETA --:--|(ETA %s|done in %s) [\d.]+x)" % (hms, hms, hms, hms))
    lines = [l for l in p.stderr.splitlines() if l.startswith("scoring")]
    check(lines and all(bar.fullmatch(l) for l in lines),
          "k=%d: progress lines parse (%d)" % (k, len(lines)))
    check("100%" in lines[-1] and "done in" in lines[-1],
          "k=%d: progress ends at 100%% with the time taken" % k)

    with open(os.path.join(out, "thumbs.json")) as f:
        doc = json.load(f)
    th = doc["thumbnails"]
    check(len(th) == k, "k=%d: %d thumbnails" % (k, len(th)))
    check([t["rank"] for t in th] == list(range(1, k + 1)), "ranks 1..k")
    check(all(th[i]["score"] >= th[i + 1]["score"] for i in range(k - 1)),
          "ranked by score")
    check(abs(doc["frames_scored"] - length / 0.5) <= 2,
          "one scored frame every 0.5 s (%d)" % doc["frames_scored"])
    kinds = [segment_at(truth, t["timestamp"])["kind"] for t in th]
    shots = [segment_at(truth, t["timestamp"])["shot"] for t in th]
    print("picks:", [(round(t["timestamp"], 2), kd, s)
                     for t, kd, s in zip(th, kinds, shots)])
    check(all(kd == "clean" for kd in kinds),
          "k=%d: no pick from black, fade, cross-fade or blur" % k)
    check(len(set(shots)) == k, "k=%d: every pick from a different shot" % k)
    if k == len(clean_shots):
        check(sorted(shots) == clean_shots, "one pick per clean shot")

    # The JPEGs are full-size and show the frame at their timestamp, as an
    # independent decoder (OpenCV/FFmpeg) sees it.
    # (JPEG differs from the decoded frame on fine texture, so the test is
    # that the named frame matches best among its neighbours.)
    idx = [round(t["timestamp"] * a.fps) for t in th]
    ref = read_frames(a.clip, [i + o for i in idx for o in (-1, 0, 1, a.fps)])
    for t, i in zip(th, idx):
        img = cv2.imread(os.path.join(out, t["file"]))
        check(img is not None and img.shape[:2] == ref[i].shape[:2],
              "%s decodes at the video's size" % t["file"])
        d = {o: np.abs(img.astype(int) - ref[i + o].astype(int)).mean()
             for o in (-1, 0, 1, a.fps)}
        check(min(d, key=d.get) == 0 and d[0] < 15,
              "%s is the frame at %.2f s (diff %.1f; -1: %.1f, +1: %.1f, "
              "1 s later: %.1f)" % (t["file"], t["timestamp"], d[0], d[-1],
                                    d[1], d[a.fps]))

    # scores.png: a 960x280 plot with one red pick line per thumbnail.
    png = cv2.imread(os.path.join(out, "scores.png"))
    check(png is not None and png.shape == (280, 960, 3), "scores.png parses")
    red = np.all(png == (32, 32, 208), axis=2).sum(axis=0) > 100
    lines = np.count_nonzero(np.diff(red.astype(int)) == 1) + int(red[0])
    check(lines == k, "scores.png marks %d picks (%d)" % (k, lines))
