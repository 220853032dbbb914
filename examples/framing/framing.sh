#!/bin/bash
# Live framing feedback: the ilgnet element scores several crops of each
# analysed frame (crop=multi) and draws the score gauge and the best crop
# (overlay=crop) on the video, at camera rate: scoring runs in the
# element's own thread and never holds the video back.
#
#   framing.sh                    camera if there is one, else a test scene
#   framing.sh camera [DEVICE]    v4l2src (default /dev/video0)
#   framing.sh file VIDEO         a video file, played in real time
#   framing.sh test               videotestsrc, no camera needed
#   framing.sh headless VIDEO|test OUTDIR [N]
#                                 no display: writes N (4) PNG screenshots
#                                 taken every 2 s to OUTDIR/framing-NN.png
# Environment: ILGNET_MODEL picks the model; FRAMING_INTERVAL (ns, default
# 100000000: ten suggestions a second) how often a frame is analysed.
set -euo pipefail
. "$(dirname "$0")/../plugin-env.sh"   # the plugin of this checkout's build
interval=${FRAMING_INTERVAL:-100000000}
mode=${1:-auto}
if [ "$mode" = auto ]; then
  if [ -e /dev/video0 ]; then mode=camera; else mode="test"; fi
fi

to_uri() {
  /usr/bin/python3 -c 'import pathlib,sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$1"
}

# The part all variants share.
ilgnet=(ilgnet crop=multi overlay=crop interval="$interval")

case $mode in
  camera)
    dev=${2:-/dev/video0}
    exec gst-launch-1.0 v4l2src device="$dev" ! videoconvert ! videoscale ! \
      video/x-raw,width=640 ! "${ilgnet[@]}" ! videoconvert ! autovideosink
    ;;
  file)
    video=${2:?usage: framing.sh file VIDEO}
    exec gst-launch-1.0 uridecodebin uri="$(to_uri "$video")" caps=video/x-raw \
      expose-all-streams=false ! videoconvert ! "${ilgnet[@]}" ! videoconvert ! \
      autovideosink
    ;;
  test)
    exec gst-launch-1.0 videotestsrc is-live=true pattern=smpte ! \
      video/x-raw,width=640,height=360,framerate=30/1 ! videoconvert ! \
      "${ilgnet[@]}" ! videoconvert ! autovideosink
    ;;
  headless)
    input=${2:?usage: framing.sh headless VIDEO|test OUTDIR [N]}
    out=${3:?usage: framing.sh headless VIDEO|test OUTDIR [N]}
    n=${4:-4}
    mkdir -p "$out"
    if [ "$input" = test ]; then
      # shellcheck disable=SC2054 # commas inside caps, not separators
      src=(videotestsrc num-buffers=$((n * 60 + 60)) pattern=smpte !
        video/x-raw,width=640,height=360,framerate=30/1)
    else
      src=(uridecodebin uri="$(to_uri "$input")" caps=video/x-raw
        expose-all-streams=false)
    fi
    # mode=sync: without a display nothing paces the stream, so each analysed
    # frame waits for its own result, as a live one would have it by then.
    # One screenshot every 2 s of video.
    gst-launch-1.0 -q "${src[@]}" ! videoconvert ! "${ilgnet[@]}" mode=sync ! \
      videoconvert ! videorate drop-only=true ! video/x-raw,framerate=1/2 ! \
      identity eos-after="$((n + 1))" ! pngenc ! \
      multifilesink location="$out/framing-%02d.png" index=1
    # eos-after counts differently for some sources, and on a loaded
    # machine the stream can run on past it: keep exactly the first N.
    for f in "$out"/framing-*.png; do
      i=${f##*/framing-}; i=${i%.png}
      [ "$((10#$i))" -le "$n" ] || rm -f "$f"
    done
    shots=("$out"/framing-*.png)
    echo "wrote ${#shots[@]} screenshots to $out"
    ;;
  *)
    sed -n '2,18p' "$0" >&2
    exit 2
    ;;
esac
