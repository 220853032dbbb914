"""Framing: the headless variant of framing.sh writes screenshots with the
score gauge and suggested crop drawn over the video."""
import argparse
import glob
import os
import shutil

import cv2
import numpy as np

from e2e_util import check, need_model, read_frames, run

ap = argparse.ArgumentParser()
ap.add_argument("--examples", required=True)
ap.add_argument("--clip", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--fps", type=int, default=25)
a = ap.parse_args()
need_model(a.source_root)
shutil.rmtree(a.work, ignore_errors=True)

# One analysed frame a second keeps the test short (crop=multi scores
# several crops of each).
env = dict(os.environ, FRAMING_INTERVAL="1000000000")
p = run(["bash", os.path.join(a.examples, "framing", "framing.sh"), "headless",
         a.clip, a.work, "3"], env=env)
check(p.returncode == 0, "framing.sh headless runs")
shots = sorted(glob.glob(os.path.join(a.work, "framing-*.png")))
check(len(shots) == 3, "3 screenshots")
# Screenshots are taken every 2 s from the start.
raw = read_frames(a.clip, [i * 2 * a.fps for i in range(3)])
for i, path in enumerate(shots):
    img = cv2.imread(path)
    ref = raw[i * 2 * a.fps]
    check(img is not None and img.shape == ref.shape,
          "%s parses at the video's size" % os.path.basename(path))
    diff = np.abs(img.astype(int) - ref.astype(int)).mean(axis=2)
    h, w = diff.shape
    # The gauge sits at the bottom left; the rest is mostly the video.
    gauge = diff[int(h * 0.8):, : int(w * 0.45)].mean()
    check(gauge > 15 and np.median(diff) < 10,
          "%s: overlay drawn (gauge area diff %.1f, median %.1f)"
          % (os.path.basename(path), gauge, np.median(diff)))
