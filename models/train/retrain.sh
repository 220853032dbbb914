#!/bin/sh
# Retrains models/default.ilgnet from scratch, end to end, in one command:
#   models/train/retrain.sh [WORKDIR]        (default WORKDIR: ../ilgnet-train)
# Fetches the Debian wallpaper packages (apt-get download; needs Debian's
# apt sources), caches the photos, trains (resumable: rerun after an
# interruption and it continues from WORKDIR/ckpt/last.pt), evaluates on
# the held-out lomiri photos, exports to models/default.ilgnet through
# caffe_pb.py + ilgnet-convert and draws the video plot.
# Installs what it needs when missing (python3-torch, python3-opencv,
# python3-matplotlib; the build's packages) and builds the tree (BUILD,
# default: build) for ilgnet-convert and ilgnet-score.
# About 90 min of training on 2 quiet cores (5,200 steps of 32 images).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-$top/../ilgnet-train}
build=${BUILD:-$top/build}
py=/usr/bin/python3
mkdir -p "$work"
"$top/src/tools/setup-build.sh" "$build" --tests
if ! dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q 'install ok installed'; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends python3-matplotlib
fi
ninja -C "$build" src/tools/ilgnet-convert src/tools/ilgnet-score

# Always: cheap, and a cache from an older photo list would be stale.
$py "$here/photos.py" "$work"
OMP_WAIT_POLICY=PASSIVE nice -n 19 $py "$here/train.py" "$work" \
  2>&1 | tee -a "$work/train.log"
$py "$here/export.py" "$work/ckpt/last.pt" -o "$top/models/default.ilgnet" \
  --dtype f16 --prototxt "$top/models/ilgnet-compact.prototxt" \
  --convert "$build/src/tools/ilgnet-convert"
rm -f "$top/models/default.caffemodel"
$py "$here/evaluate.py" "$work" --checkpoint "$work/ckpt/last.pt" \
  --model "$top/models/default.ilgnet" --score "$build/src/tools/ilgnet-score" \
  --json "$work/eval.json"
$py "$here/video_plot.py" "$work" --model "$top/models/default.ilgnet" \
  --score "$build/src/tools/ilgnet-score" -o "$top/models/video-score.png"
