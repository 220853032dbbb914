#!/usr/bin/env bash
# Best thumbnails from a video, from a fresh Debian 12 checkout:
#
#   examples/quickstart.sh [--installed] [VIDEO] [ilgnet-thumbs options...]
#
# Installs what is missing and builds (src/tools/setup-build.sh), then runs
# ilgnet-thumbs.  With --installed it builds nothing and uses the installed
# ilgnet-thumbs and ilgnet-sample-clip (e.g. the gstreamer1.0-ilgnet package).  Without VIDEO it first makes a sample clip with moments a
# good picker must avoid (fades, a black gap, a cross-fade, a blurred shot):
# photographs from the Debian package lomiri-wallpapers-16.04 (fetched once
# with `apt-get download` into ~/.cache/gst-ilgnet by sample-photos.sh; the
# model never saw them in training), or generated scenes without them.
# Environment: ILGNET_BUILD_DIR (default: build), ILGNET_QUICKSTART_OUT
# (default: ./ilgnet-quickstart), ILGNET_MODEL (default: the shipped model).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ILGNET_BUILD_DIR:-$top/build}
out=${ILGNET_QUICKSTART_OUT:-$PWD/ilgnet-quickstart}

if [ "${1:-}" = --installed ]; then
  shift
  for tool in ilgnet-thumbs ilgnet-sample-clip; do
    command -v "$tool" >/dev/null ||
      { echo "quickstart: --installed, but $tool is not on PATH" >&2; exit 1; }
  done
  thumbs=ilgnet-thumbs sample_clip=ilgnet-sample-clip
else
  "$top/src/tools/setup-build.sh" "$build"
  thumbs=$build/examples/ilgnet-thumbs sample_clip=$build/examples/ilgnet-sample-clip
fi
mkdir -p "$out"

video=
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  video=$1
  shift
fi

if [ -z "$video" ]; then
  photo_arg=()
  while IFS= read -r p; do
    photo_arg+=(--photo "$p")
  done < <("$top/examples/sample-photos.sh" 6)
  video=$out/sample.webm
  "$sample_clip" "$video" \
    --truth "$out/sample-timeline.json" "${photo_arg[@]}" >&2
  echo "quickstart: sample clip $video; its timeline (where the fades," \
    "black gap and blur are) is in $out/sample-timeline.json" >&2
fi

"$thumbs" "$video" -o "$out/thumbs" "$@"
echo
echo "Thumbnails:  $out/thumbs/thumb-*.jpg (thumb-01 = best)"
echo "Details:     $out/thumbs/thumbs.json"
echo "Score plot:  $out/thumbs/scores.png"
