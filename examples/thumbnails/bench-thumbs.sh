#!/usr/bin/env bash
# bench-thumbs.sh: how ilgnet-thumbs compares with decoding the file alone.
#
#   examples/thumbnails/bench-thumbs.sh [BUILD_DIR] [--runs N] [--long]
#                                       [--thumbs BIN]... [--work DIR]
#
# Makes a 1080p H.264 clip (ilgnet-sample-clip's shots, scaled up; x264enc
# speed-preset=veryfast, 2 B-frames, a keyframe every 2 s) and times, in
# turn and best of N: decoding it alone (decodebin ! fakesink), then each
# ilgnet-thumbs binary (default: BUILD_DIR's; --thumbs again adds another,
# e.g. an older build, timed in the same rounds).  Prints each one's ratio
# to the decode.  --long also makes a 10-minute clip the same way and times
# `ilgnet-thumbs --fast` on it (x real time).  Clips are kept in DIR
# (default /tmp/ilgnet-bench) between runs; they are never committed.
# Needs x264enc (gstreamer1.0-plugins-ugly), bc and /usr/bin/time.  A
# benchmark, not a test: the machine's load shows in the figures, so
# compare ratios within one run.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build"
runs=3
long=0
work=${ILGNET_BENCH_DIR:-/tmp/ilgnet-bench}
thumbs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --long) long=1; shift ;;
    --thumbs) thumbs+=("$(realpath "$2")"); shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" |
      sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench-thumbs: unknown option $1" >&2; exit 2 ;;
    *) build=$(realpath "$1"); shift ;;
  esac
done
thumbs=("$build/examples/ilgnet-thumbs" ${thumbs[@]+"${thumbs[@]}"})
export GST_PLUGIN_PATH_1_0="$build/gst-plugin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
gst-inspect-1.0 x264enc >/dev/null 2>&1 || {
  echo "bench-thumbs: x264enc is missing (apt-get install gstreamer1.0-plugins-ugly)" >&2
  exit 77
}
mkdir -p "$work"
cd "$work"

# The sample clip's six shots, fades and blur at 640x360, scaled to 1080p.
if [ ! -s shots.avi ]; then
  "$build/examples/ilgnet-sample-clip" shots.avi --truth shots.json \
    --width 640 --height 360 >&2
fi
enc="videoscale ! video/x-raw,width=1920,height=1080,pixel-aspect-ratio=1/1 \
  ! videoconvert ! x264enc speed-preset=veryfast bframes=2 key-int-max=50 \
  ! mp4mux ! filesink"
if [ ! -s clip-1080p.mp4 ]; then
  echo "bench-thumbs: encoding clip-1080p.mp4" >&2
  gst-launch-1.0 -q filesrc location=shots.avi ! avidemux ! jpegdec ! \
    $enc location=clip-1080p.mp4.part >&2
  mv clip-1080p.mp4.part clip-1080p.mp4
fi
if [ $long = 1 ] && [ ! -s long-1080p.mp4 ]; then
  # 23 x 27 s = 10 min 21 s, one shot sequence after another.
  echo "bench-thumbs: encoding long-1080p.mp4 (10 min; takes a while)" >&2
  branches=""
  for _ in $(seq 23); do
    branches+=" filesrc location=shots.avi ! avidemux ! jpegdec ! c."
  done
  # shellcheck disable=SC2086
  gst-launch-1.0 -q concat name=c ! $enc location=long-1080p.mp4.part \
    $branches >&2
  mv long-1080p.mp4.part long-1080p.mp4
fi

# time_it KEY CMD...: wall and CPU (user + system) seconds of CMD; the
# best of each so far go to best[KEY] and cpu[KEY].
declare -A best cpu
time_it() {
  local key=$1 t c
  shift
  /usr/bin/time -f '%e %U %S' -o "$work/last.time" "$@" >/dev/null \
    2>"$work/last.err" || {
    echo "bench-thumbs: failed: $*" >&2
    cat "$work/last.err" >&2
    exit 1
  }
  read -r t u sy <"$work/last.time"
  c=$(echo "$u + $sy" | bc -l)
  if [ -z "${best[$key]:-}" ] || [ "$(echo "$t < ${best[$key]}" | bc -l)" = 1 ]; then
    best[$key]=$t
  fi
  if [ -z "${cpu[$key]:-}" ] || [ "$(echo "$c < ${cpu[$key]}" | bc -l)" = 1 ]; then
    cpu[$key]=$c
  fi
  printf '  %-12s %6.2f s (CPU %.2f s)\n' "$key" "$t" "$c" >&2
}

# The video's length as ilgnet-thumbs wrote it in DIR/thumbs.json.
duration() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["duration"])' \
    "$1/thumbs.json"
}


echo "bench-thumbs: clip-1080p.mp4, best of $runs, interleaved" >&2
for r in $(seq "$runs"); do
  echo " round $r" >&2
  time_it decode gst-launch-1.0 -q filesrc location=clip-1080p.mp4 ! \
    decodebin ! fakesink sync=false
  for i in "${!thumbs[@]}"; do
    time_it "thumbs$i" "${thumbs[$i]}" clip-1080p.mp4 -o "out$i" \
      --progress never
  done
done
len=$(duration out0)
printf 'clip-1080p.mp4 (%.1f s, 1920x1080 H.264): decode alone %.2f s (%.1fx real time; CPU %.2f s)\n' \
  "$len" "${best[decode]}" "$(echo "$len / ${best[decode]}" | bc -l)" \
  "${cpu[decode]}"
for i in "${!thumbs[@]}"; do
  printf '  %s: %.2f s = %.2fx the decode (CPU %.2f s = %.2fx)\n' \
    "${thumbs[$i]}" "${best[thumbs$i]}" \
    "$(echo "${best[thumbs$i]} / ${best[decode]}" | bc -l)" \
    "${cpu[thumbs$i]}" "$(echo "${cpu[thumbs$i]} / ${cpu[decode]}" | bc -l)"
done

if [ $long = 1 ]; then
  echo "bench-thumbs: long-1080p.mp4 --fast, best of $runs" >&2
  for r in $(seq "$runs"); do
    time_it fast "${thumbs[0]}" long-1080p.mp4 --fast -o out-fast \
      --progress never
  done
  len=$(duration out-fast)
  printf 'long-1080p.mp4 (%.0f s, keyframe every 2 s): --fast %.2f s = %.1fx real time\n' \
    "$len" "${best[fast]}" "$(echo "$len / ${best[fast]}" | bc -l)"
fi
