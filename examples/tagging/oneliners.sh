#!/bin/sh
# Tagging footage with the ilgnet element's score file: the gst-launch-1.0
# one-liners of the README, runnable.  Usage:
#   oneliners.sh VIDEO [OUTDIR]      tags VIDEO as JSON lines, CSV and WebVTT
#   oneliners.sh --live [OUTDIR]     tags 10 s of a camera (or a test source)
# Finds the ilgnet plugin of this checkout's build tree (../plugin-env.sh).
set -eu
. "$(dirname "$0")/../plugin-env.sh"   # the plugin of this checkout's build
out=${2:-.}
mkdir -p "$out"

if [ "${1:-}" = "--live" ]; then
  # A live source: the element never blocks it (mode=async, the default)
  # and writes one line a second until the 300th frame.
  if [ -e /dev/video0 ]; then src="v4l2src num-buffers=300"; else
    src="videotestsrc is-live=true pattern=ball num-buffers=300"; fi
  # shellcheck disable=SC2086 # $src is several words on purpose
  gst-launch-1.0 -q $src ! videoconvert ! \
    ilgnet interval=1000000000 location="$out/live.jsonl" format=jsonl ! \
    fakesink
  echo "wrote $out/live.jsonl"
  exit 0
fi

video=${1:?usage: oneliners.sh VIDEO [OUTDIR] | --live [OUTDIR]}
uri=$(gst-launch-1.0 --version >/dev/null && \
  /usr/bin/python3 -c 'import pathlib,sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$video")
name=$(basename "${video%.*}")

# One frame every half second (interval is in nanoseconds); mode=sync makes
# each analysed frame wait for its score, so nothing is skipped offline.
gst-launch-1.0 -q uridecodebin uri="$uri" caps=video/x-raw \
  expose-all-streams=false ! videoconvert ! \
  ilgnet mode=sync interval=500000000 location="$out/$name.jsonl" format=jsonl ! \
  fakesink

gst-launch-1.0 -q uridecodebin uri="$uri" caps=video/x-raw \
  expose-all-streams=false ! videoconvert ! \
  ilgnet mode=sync interval=500000000 location="$out/$name.csv" format=csv ! \
  fakesink

# WebVTT: subtitles any player shows next to the video ("score 0.734").
gst-launch-1.0 -q uridecodebin uri="$uri" caps=video/x-raw \
  expose-all-streams=false ! videoconvert ! \
  ilgnet mode=sync interval=500000000 location="$out/$name.vtt" format=webvtt ! \
  fakesink

echo "wrote $out/$name.jsonl $out/$name.csv $out/$name.vtt"
