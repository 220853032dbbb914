#!/bin/bash
# Tags every video in a folder with the ilgnet element and prints a summary
# table sorted by mean score (best first).
#
#   tag-folder.sh FOLDER [-o OUTDIR] [-f csv|jsonl|webvtt|all] [-i SECONDS]
#                 [-m MODEL]
#
# Score files go to OUTDIR (default: FOLDER), named after each video:
# NAME.csv, NAME.jsonl, NAME.vtt.  Each format is written by its own ilgnet
# element after a tee (one decode), so -f all scores every frame three times.  A video that cannot be decoded is
# reported in the table and makes the exit status 1; the others are tagged.
set -uo pipefail
. "$(dirname "$0")/../plugin-env.sh"   # the plugin of this checkout's build

usage() {
  echo "usage: tag-folder.sh FOLDER [-o OUTDIR] [-f csv|jsonl|webvtt|all]" \
    "[-i SECONDS] [-m MODEL]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
folder=$1; shift
out=$folder; formats=csv; interval=0.5; model=
while getopts "o:f:i:m:" opt; do
  case $opt in
    o) out=$OPTARG ;;
    f) formats=$OPTARG ;;
    i) interval=$OPTARG ;;
    m) model=$OPTARG ;;
    *) usage ;;
  esac
done
[ -d "$folder" ] || { echo "tag-folder.sh: $folder is not a folder" >&2; exit 2; }
case $formats in
  all) formats="csv jsonl webvtt" ;;
  csv|jsonl|webvtt) ;;
  *) usage ;;
esac
mkdir -p "$out"
# The CSV is always written: the summary is computed from it.
case " $formats " in *" csv "*) ;; *) formats="csv $formats" ;; esac
ns=$(awk -v s="$interval" 'BEGIN { printf "%d", s * 1e9 }')
[ "$ns" -gt 0 ] || { echo "tag-folder.sh: bad interval $interval" >&2; exit 2; }
model_arg=()
[ -n "$model" ] && model_arg=(model="$model")

ext() { case $1 in webvtt) echo vtt ;; *) echo "$1" ;; esac; }

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
status=0
shopt -s nullglob nocaseglob
for video in "$folder"/*.{mp4,m4v,mov,mkv,webm,avi,ogv,ogg,mpg,mpeg,ts,mts,flv,wmv}; do
  [ -f "$video" ] || continue
  name=$(basename "${video%.*}")
  uri=$(/usr/bin/python3 -c 'import pathlib,sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$video")
  # One decode, one ilgnet per format after a tee: each writes its file.
  branches=()
  for f in $formats; do
    branches+=(t. ! queue ! ilgnet mode=sync interval="$ns" "${model_arg[@]}"
      location="$out/$name.$(ext "$f")" format="$f" ! fakesink)
  done
  start=$(date +%s.%N)
  if err=$(gst-launch-1.0 -q uridecodebin uri="$uri" caps=video/x-raw \
      expose-all-streams=false ! videoconvert ! tee name=t \
      "${branches[@]}" 2>&1 >/dev/null) && [ -s "$out/$name.csv" ]; then
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    # time = column 5, score = column 6 of the element's CSV.
    awk -F, -v name="$(basename "$video")" -v secs="$secs" '
      NR > 1 { n++; sum += $6; if (n == 1 || $6 > max) { max = $6; at = $5 }
               if ($5 > len) len = $5 }
      END { if (n) printf "%.4f\t%.4f\t%.1f\t%d\t%.1f\t%.1f\t%s\n",
              sum / n, max, at, n, len, secs, name }' "$out/$name.csv" >> "$rows"
  else
    printf -- "-1\t-\t-\t0\t-\t-\t%s (FAILED: %s)\n" "$(basename "$video")" \
      "$(echo "$err" | grep -m1 -iE 'error|erroneous' | sed 's/^.*: //' | cut -c1-70)" >> "$rows"
    status=1
    for f in $formats; do rm -f "$out/$name.$(ext "$f")"; done
  fi
done

if [ ! -s "$rows" ]; then
  echo "tag-folder.sh: no videos in $folder" >&2
  exit 1
fi
printf "%-6s %-6s %-8s %-6s %-8s %-7s %s\n" mean max best_s frames length_s tag_s video
sort -t$'\t' -k1,1 -g -r "$rows" | awk -F'\t' '{
  mean = ($1 < 0) ? "-" : $1
  printf "%-6s %-6s %-8s %-6s %-8s %-7s %s\n", mean, $2, $3, $4, $5, $6, $7 }'
echo "score files in $out"
exit $status
