"""crop=multi through the element against libilgnet's own candidate
scores, for both of its methods:

* a model with a framing map (the default model with a random framing
  branch in place of its own, models/train/export.py --framing): one
  trunk pass, the anchors of ilgnet_frame_anchors() scored by
  ilgnet_score_boxes(): all 276 for a branch that weighs no box's own
  heads (as the default model's: the heads run for the whole frame only),
  the coarse 55 for one that does;
* a model without one (the default network alone, --framing none): up
  to 16 crops, a full pass each (ilgnet_multi_crops()).

With crop-margin=0 crop-hold=1 the element reports each frame's best
candidate as scored, so its `ilgnet` message must name the rectangle that
ilgnet-box-dump (the library, no GStreamer) ranks first on the same
picture, with that candidate's score and the whole frame's."""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

import cv2
import numpy as np

from e2e_util import check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--source-root", required=True)
ap.add_argument("--box-tool", required=True)
ap.add_argument("--convert", required=True)
a = ap.parse_args()
model = need_model(a.source_root)
spec = importlib.util.spec_from_file_location(
    "pf", os.path.join(a.source_root, "tests", "parity", "parity_framing.py"))
pf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pf)

W, H = 640, 360


def element_pick(model_path, png):
    p = run(["gst-launch-1.0", "-m", "filesrc", "location=" + png, "!", "pngdec", "!",
             "videoconvert", "!", "ilgnet", "model=" + model_path, "mode=sync",
             "crop=multi", "crop-margin=0", "crop-hold=1", "!", "fakesink"])
    check(p.returncode == 0, "the pipeline runs")
    line = [l for l in p.stdout.splitlines() if "(element): ilgnet," in l]
    check(len(line) == 1, "one ilgnet message for one frame")
    get = lambda k, t: float(re.search(r"%s=\(%s\)([-0-9.e]+)" % (k, t), line[0]).group(1))
    rect = tuple(int(get(k, "int")) for k in ("crop-x", "crop-y", "crop-width", "crop-height"))
    return rect, get("score", "double"), get("frame-score", "double")


def library_pick(model_path, rgb, multi):
    cmd = [a.box_tool, model_path, rgb, str(W), str(H), "-t", "2"] + (["--multi"] if multi else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = np.array([[float(v) for v in l.split()] for l in out.splitlines()
                     if not l.startswith("#")])
    scores = np.clip(rows[:, 6], 0, 1)
    best = int(np.argmax(scores))          # ties: the earlier candidate
    if scores[0] >= scores[best]:
        best = 0
    return tuple(rows[best, 2:6].astype(int)), scores[best], scores[0], len(rows)


with tempfile.TemporaryDirectory() as tmp:
    npz = os.path.join(tmp, "branch.npz")
    pf.random_branch(npz, 8, 3, 7)
    npz0 = os.path.join(tmp, "branch-a0.npz")
    pf.random_branch(npz0, 8, 3, 7, use_a=False)
    framing_model = os.path.join(tmp, "framing.ilgnet")
    framing0_model = os.path.join(tmp, "framing-a0.ilgnet")
    plain_model = os.path.join(tmp, "plain.ilgnet")
    for branch, out in ((npz, framing_model), (npz0, framing0_model),
                        ("none", plain_model)):
        subprocess.run([sys.executable, os.path.join(a.source_root, "models", "train",
                                                     "export.py"),
                        "--from-model", model, "--framing", branch, "--dtype", "f16",
                        "-o", out, "--convert", a.convert], check=True,
                       capture_output=True)
    # a picture with structure, dull on its right third
    yy, xx = np.mgrid[0:H, 0:W]
    img = np.stack([128 + 90 * np.sin(xx / (13 + 4 * c) + yy / (23 - 3 * c)) for c in range(3)], 2)
    img[:, 2 * W // 3:] = 0.3 * img[:, 2 * W // 3:] + 60
    img = np.clip(img + np.random.default_rng(1).normal(0, 5, img.shape), 0, 255).astype(np.uint8)
    png, rgb = os.path.join(tmp, "f.png"), os.path.join(tmp, "f.rgb")
    cv2.imwrite(png, img)
    cv2.cvtColor(img, cv2.COLOR_BGR2RGB).tofile(rgb)
    for name, path, multi, want_n in (
            ("framing map, one pass", framing_model, False, 55),
            ("framing map without the boxes' heads, one pass", framing0_model, False, 276),
            ("no framing map, full passes", plain_model, True, 16)):
        rect, score, frame_score = element_pick(path, png)
        lrect, lscore, lframe, n = library_pick(path, rgb, multi)
        check(n == want_n, "%s: %d candidates (%d)" % (name, want_n, n))
        check(rect == lrect, "%s (%d candidates): element picks %s, libilgnet %s"
              % (name, n, rect, lrect))
        check(abs(score - lscore) < 1e-4 and abs(frame_score - lframe) < 1e-4,
              "%s: scores %.5f / frame %.5f, libilgnet %.5f / %.5f"
              % (name, score, frame_score, lscore, lframe))
