#!/usr/bin/env bash
# Remakes the README pictures of the three uses from the current model:
#   examples/thumbnails/doc/{thumbs-strip.jpg,score-only-strip.jpg,scores.png}
#   examples/framing/doc/framing-screenshots.jpg
# Usage: examples/doc/make-pictures.sh [BUILD_DIR]   (default: build)
# Needs a built tree (it does not build) and python3-opencv (a test
# dependency) for the strips.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GST_PLUGIN_PATH="$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

# The quickstart's clip: held-out photographs (examples/sample-photos.sh).
photo_arg=()
while IFS= read -r p; do
  photo_arg+=(--photo "$p")
done < <("$top/examples/sample-photos.sh" 6)
"$build/examples/ilgnet-sample-clip" "$work/sample.webm" "${photo_arg[@]}" >/dev/null
"$build/examples/ilgnet-thumbs" "$work/sample.webm" -o "$work/thumbs" \
  --frames-csv "$work/frames.csv" >/dev/null
cp "$work/thumbs/scores.png" "$top/examples/thumbnails/doc/scores.png"
FRAMING_INTERVAL=500000000 "$top/examples/framing/framing.sh" headless \
  "$work/sample.webm" "$work/framing" 12 >/dev/null

/usr/bin/python3 - "$work" "$top" <<'PY'
import csv, json, sys
import cv2
import numpy as np

work, top = sys.argv[1], sys.argv[2]
W, H = 224, 126

def tile(img, label):
    t = cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)
    cv2.rectangle(t, (0, H - 22), (W, H), (0, 0, 0), -1)
    cv2.putText(t, label, (5, H - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (255, 255, 255), 1, cv2.LINE_AA)
    return t

def strip(tiles):
    gap = np.full((H, 4, 3), 255, np.uint8)
    out = []
    for t in tiles:
        out += [t, gap]
    return np.hstack(out[:-1])

doc = json.load(open(work + "/thumbs/thumbs.json"))
picked = [tile(cv2.imread(work + "/thumbs/" + t["file"]),
               "#%d  %.1f s  score %.2f" % (t["rank"], t["timestamp"], t["score"]))
          for t in doc["thumbnails"]]
cv2.imwrite(top + "/examples/thumbnails/doc/thumbs-strip.jpg", strip(picked),
            [cv2.IMWRITE_JPEG_QUALITY, 85])

# What sorting by the score alone would pick.
rows = [r for r in csv.DictReader(open(work + "/frames.csv"))
        if float(r["score"]) >= 0]
rows.sort(key=lambda r: -float(r["score"]))
top5 = rows[:len(picked)]
want = {round(float(r["time"]) * 25): r for r in top5}
frames, cap, i = {}, cv2.VideoCapture(work + "/sample.webm"), 0
while len(frames) < len(want):
    ok, f = cap.read()
    if not ok:
        break
    if i in want:
        frames[i] = f
    i += 1
base = [tile(frames[round(float(r["time"]) * 25)],
             "score-only  %.1f s  %.2f" % (float(r["time"]), float(r["score"])))
        for r in top5]
cv2.imwrite(top + "/examples/thumbnails/doc/score-only-strip.jpg", strip(base),
            [cv2.IMWRITE_JPEG_QUALITY, 85])

shots = [cv2.resize(cv2.imread(work + "/framing/framing-%02d.png" % i),
                    (320, 180)) for i in (1, 5, 7, 11, 12, 10)]
cv2.imwrite(top + "/examples/framing/doc/framing-screenshots.jpg",
            np.vstack([np.hstack(shots[:3]), np.hstack(shots[3:])]),
            [cv2.IMWRITE_JPEG_QUALITY, 85])
PY
echo "pictures remade; look at them before committing"
