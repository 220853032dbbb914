"""ilgnet-thumbs --fast on an H.264 version of the generated clip (made
here with x264enc, B-frames, a keyframe every second and no scene-cut
keyframes; never committed):
only keyframes are analysed, and the picks still never come from black,
faded, cross-faded or blurred frames, come from different shots, and the
JPEGs are full-size frames at the timestamps the JSON names."""
import argparse
import json
import os
import shutil
import subprocess

import cv2
import numpy as np

from e2e_util import SKIP, check, load_truth, need_model, read_frames, run, \
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
if subprocess.run(["gst-inspect-1.0", "x264enc"],
                  capture_output=True).returncode != 0:
    print("SKIP: no x264enc (gstreamer1.0-plugins-ugly)")
    raise SystemExit(SKIP)
truth = load_truth(a.truth)
clean_shots = sorted({s["shot"] for s in truth if s["kind"] == "clean"})
length = truth[-1]["end"]
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)

# B-frames and a keyframe every 25 frames; x264 adds some at scene cuts.
h264 = os.path.join(a.work, "clip-h264.mp4")
p = run(["gst-launch-1.0", "-q", "filesrc", "location=" + a.clip, "!",
         "decodebin", "!", "videoconvert", "!", "x264enc",
         "speed-preset=veryfast", "bframes=2", "key-int-max=%d" % a.fps,
         # Keyframes exactly every second: x264's scene-cut keyframes land
         # wherever the decoded source's pixels put a cut (libav's and
         # libvpx's VP8 decoders differ), one a frame after another.
         "option-string=scenecut=0",
         "!", "mp4mux", "!", "filesink", "location=" + h264])
check(p.returncode == 0 and os.path.getsize(h264) > 0,
      "made an H.264 clip with x264enc")

k = len(clean_shots)
out = os.path.join(a.work, "fast")
csv = os.path.join(a.work, "frames.csv")
p = run([a.thumbs, h264, "--fast", "-k", str(k), "-o", out,
         "--progress", "never", "--frames-csv", csv])
check(p.returncode == 0, "--fast: exit status 0")
with open(os.path.join(out, "thumbs.json")) as f:
    doc = json.load(f)
check(doc["fast"] is True, "thumbs.json says fast")
n_frames = length * a.fps
check(length * 0.8 <= doc["frames_analysed"] <= n_frames / 5,
      "only keyframes analysed: %d of %d frames (about one a second)"
      % (doc["frames_analysed"], n_frames))
with open(csv) as f:
    times = [float(l.split(",")[0]) for l in f.read().splitlines()[1:]]
gaps = np.diff(times)
check(len(times) == doc["frames_analysed"] and gaps.min() > 0.1,
      "analysed frames are far apart (closest %.2f s)" % gaps.min())
check(doc["frames_scored"] == doc["frames_analysed"],
      "every keyframe scored (%d)" % doc["frames_scored"])

th = doc["thumbnails"]
check(len(th) == k, "%d thumbnails" % len(th))
kinds = [segment_at(truth, t["timestamp"])["kind"] for t in th]
shots = [segment_at(truth, t["timestamp"])["shot"] for t in th]
print("picks:", [(round(t["timestamp"], 2), kd, s)
                 for t, kd, s in zip(th, kinds, shots)])
check(all(kd == "clean" for kd in kinds),
      "no pick from black, fade, cross-fade or blur")
check(len(set(shots)) == k, "every pick from a different shot")
check(all(round(t["timestamp"], 3) in {round(x, 3) for x in times}
          for t in th), "picks are analysed keyframes")

# Full-size JPEGs of the frames named (decoded independently by OpenCV).
idx = [round(t["timestamp"] * a.fps) for t in th]
ref = read_frames(h264, [i + o for i in idx for o in (0, a.fps)])
for t, i in zip(th, idx):
    img = cv2.imread(os.path.join(out, t["file"]))
    check(img is not None and img.shape[:2] == ref[i].shape[:2],
          "%s decodes at the video's size" % t["file"])
    d0 = np.abs(img.astype(int) - ref[i].astype(int)).mean()
    d1 = np.abs(img.astype(int) - ref[i + a.fps].astype(int)).mean()
    check(d0 < 15 and d0 < d1, "%s is the frame at %.2f s (diff %.1f; 1 s "
          "later: %.1f)" % (t["file"], t["timestamp"], d0, d1))
