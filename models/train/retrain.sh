#!/bin/sh
# Retrains models/default.ilgnet from scratch, end to end, in one command:
#   models/train/retrain.sh [WORKDIR [train.py options]]
#                                            (default WORKDIR: ../ilgnet-train)
# MODEL_OUT=FILE writes the model (and its prototxt and plot beside it)
# somewhere else than models/ (a trial run: e.g. --steps-low 40 --steps-high 10).
# Fetches the Debian wallpaper packages (apt-get download; needs Debian's
# apt sources), caches the photos, trains (resumable: rerun after an
# interruption and it continues from WORKDIR/ckpt/last.pt), evaluates on
# the held-out lomiri photos and the 31 casual test photos, exports to
# models/default.ilgnet through caffe_pb.py + ilgnet-convert and draws the
# video plot.
# Installs what it needs when missing (python3-torch, python3-opencv,
# python3-matplotlib; the build's packages) and builds the tree (BUILD,
# default: build) for ilgnet-convert and ilgnet-score.
# About 2 hours of training on 2 quiet cores (5,200 steps of 32 images).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-$top/../ilgnet-train}
[ $# -gt 0 ] && shift
out=${MODEL_OUT:-$top/models/default.ilgnet}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
outdir=$(dirname "$out")
if [ "$out" = "$top/models/default.ilgnet" ]; then
  proto="$top/models/ilgnet-compact.prototxt"
  plot="$top/models/video-score.png"
else
  proto="${out%.ilgnet}.prototxt"
  plot="${out%.ilgnet}-video-score.png"
fi
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
$py "$here/photos.py" "$work" --test
# pipefail is not POSIX sh: train.py's status goes through a file
rcfile="$work/train.rc"
rm -f "$rcfile"
{ if OMP_WAIT_POLICY=PASSIVE nice -n 19 $py "$here/train.py" "$work" "$@" 2>&1; then
    echo 0 > "$rcfile"; else echo $? > "$rcfile"; fi; } | tee -a "$work/train.log"
[ "$(cat "$rcfile" 2>/dev/null)" = 0 ] || { echo "retrain.sh: training failed" >&2; exit 1; }
mkdir -p "$outdir"
$py "$here/export.py" "$work/ckpt/last.pt" -o "$out" \
  --dtype f16 --prototxt "$proto" \
  --convert "$build/src/tools/ilgnet-convert"
rm -f "${out%.ilgnet}.caffemodel"
$py "$here/evaluate.py" "$work" --checkpoint "$work/ckpt/last.pt" \
  --model "$out" --score "$build/src/tools/ilgnet-score" \
  --json "$work/eval.json"
$py "$here/evaluate.py" "$work" --set test --model "$out" \
  --score "$build/src/tools/ilgnet-score" --json "$work/eval-test.json"
$py "$here/video_plot.py" "$work" --model "$out" \
  --score "$build/src/tools/ilgnet-score" -o "$plot"
