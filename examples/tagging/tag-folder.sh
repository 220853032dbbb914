#!/bin/bash
# Tags every video in a folder tree with the ilgnet element, one pipeline
# per file run in parallel by GNU parallel, and prints a summary table
# sorted by mean score (best first); OUTDIR/summary.csv holds the same.
#
#   tag-folder.sh FOLDER [-o OUTDIR] [-f csv|jsonl|webvtt|all|LIST]
#                 [-i SECONDS] [-m MODEL] [-j JOBS] [--resume] [--force]
#                 [-S|--sshlogin LOGINS]
#
#   -o OUTDIR   score files go to OUTDIR (default: FOLDER) in FOLDER's tree:
#               SUB/NAME.csv, SUB/NAME.jsonl, SUB/NAME.vtt.  The CSV is always
#               written (the summary is computed from it).
#   -f FORMATS  csv, jsonl, webvtt, all, or a comma list (csv,webvtt).  Each
#               video is scored ONCE: the element writes JSON lines, the CSV
#               and WebVTT are converted from them (scorefile.py), identical
#               to what the element writes in those formats.
#   -i SECONDS  score one frame every SECONDS (default 0.5).
#   -j JOBS     videos tagged at a time (default: one per core; per machine
#               with --sshlogin).
#   --resume    go on with an interrupted run: the videos of its job log
#               (OUTDIR/.tag-folder/joblog) are not run again, the others
#               are.  The list of videos is the interrupted run's.
#   --force     tag again videos whose score files all exist (skipped
#               otherwise, so a plain second run also does only the rest).
#   -S LOGINS   fan out over machines (GNU parallel --sshlogin, e.g.
#               "8/user@host1,8/user@host2,:" where ":" is this machine).
#               Every machine needs the plugin, this checkout (or the
#               installed examples) at the same path and FOLDER/OUTDIR on a
#               shared file system at the same paths.
#
# A video that cannot be decoded is reported in the table and makes the exit
# status 1; the others are tagged.  On a terminal a progress bar with ETA is
# shown.  File names with a tab or newline are not supported.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../plugin-env.sh"   # the plugin of this checkout's build

usage() {
  echo "usage: tag-folder.sh FOLDER [-o OUTDIR] [-f csv|jsonl|webvtt|all]" \
    "[-i SECONDS] [-m MODEL] [-j JOBS] [--resume] [--force]" \
    "[-S|--sshlogin LOGINS]" >&2
  exit 2
}
die() { echo "tag-folder.sh: $*" >&2; exit 2; }

folder=; out=; formats=csv; interval=0.5; model=; jobs=; resume=0; force=
sshlogin=
while [ $# -gt 0 ]; do
  case $1 in
    -o|-f|-i|-m|-j|-S|--sshlogin) [ $# -ge 2 ] || usage ;;
  esac
  case $1 in
    -o) out=$2; shift ;;
    -f) formats=$2; shift ;;
    -i) interval=$2; shift ;;
    -m) model=$2; shift ;;
    -j) jobs=$2; shift ;;
    -S|--sshlogin) sshlogin=$2; shift ;;
    --resume) resume=1 ;;
    --force) force=--force ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) usage ;;
    *) [ -z "$folder" ] || usage; folder=$1 ;;
  esac
  shift
done
[ -n "$folder" ] || usage
[ -d "$folder" ] || die "$folder is not a folder"
parallel --version 2>/dev/null | grep -q "GNU parallel" ||
  die "GNU parallel not found (apt-get install parallel)"
case $formats in all) formats=csv,jsonl,webvtt ;; esac
for f in ${formats//,/ }; do
  case $f in csv|jsonl|webvtt) ;; *) usage ;; esac
done
ns=$(awk -v s="$interval" 'BEGIN { printf "%d", s * 1e9 }')
[ "$ns" -gt 0 ] || die "bad interval $interval"
[ -z "$jobs" ] || [ "$jobs" -gt 0 ] 2>/dev/null || die "bad job count $jobs"
[ -z "$model" ] || model=$(realpath "$model")
folder=$(realpath "$folder")
out=$(realpath -m "${out:-$folder}")
state=$out/.tag-folder            # job log, video list, the jobs' rows
mkdir -p "$state" || die "cannot create $state"
# Files of jobs killed outright (a run stopped twice, a machine gone).
rm -rf "$state/parts"

# One line per video: its path relative to FOLDER, TAB, where its score
# files go (OUTDIR/SUB/NAME).  A resumed run keeps the interrupted run's
# list: the job log refers to its lines by number.
if [ $resume = 1 ] && [ -s "$state/videos" ]; then
  echo "tag-folder.sh: resuming $(wc -l < "$state/videos") videos" >&2
else
  resume=0
  (cd "$folder" && find . -path "./${state#"$folder"/}" -prune -o -type f \( \
      -iname '*.mp4' -o -iname '*.m4v' -o -iname '*.mov' -o -iname '*.mkv' \
      -o -iname '*.webm' -o -iname '*.avi' -o -iname '*.ogv' -o -iname '*.ogg' \
      -o -iname '*.mpg' -o -iname '*.mpeg' -o -iname '*.ts' -o -iname '*.mts' \
      -o -iname '*.flv' -o -iname '*.wmv' \) -print) | sed 's|^\./||' |
    grep -v $'\t' | LC_ALL=C sort |
    awk -v out="$out" '{ b = $0; sub(/\.[^./]*$/, "", b); print $0 "\t" out "/" b }' \
    > "$state/videos"
  : > "$state/joblog"
  : > "$state/results"
fi
[ -s "$state/videos" ] || { echo "tag-folder.sh: no videos in $folder" >&2; exit 1; }

opts=(--will-cite -q --colsep '\t' --joblog "$state/joblog")
[ $resume = 1 ] && opts+=(--resume)
[ -n "$jobs" ] && opts+=(-j "$jobs")
[ -n "$sshlogin" ] && opts+=(--sshlogin "$sshlogin" --workdir .)
[ -t 2 ] && opts+=(--bar)
# Each job prints one row (tag-one.py); rows are appended as jobs end, so
# an interrupted run keeps those of its finished jobs.
job=("$here/tag-one.py" --formats "$formats" --interval "$ns"
  --parts "$state/parts" ${model:+--model "$model"})
(cd "$folder" && parallel "${opts[@]}" "${job[@]}" $force -- {1} {2} \
  :::: "$state/videos") >> "$state/results"
# parallel's status: the number of failed jobs (up to 101), 255 when it was
# stopped itself.
if [ $? -gt 101 ]; then
  echo "tag-folder.sh: interrupted; go on with: tag-folder.sh ... --resume" >&2
  exit 130
fi
# A job that ended as the previous run was interrupted may be in the job log
# without its row: ask again (tag-one.py skips it when it is tagged).
awk -F'\t' 'NR == FNR { seen[$2] = 1; next } !($1 in seen)' \
  "$state/results" "$state/videos" > "$state/missing"
if [ -s "$state/missing" ]; then
  (cd "$folder" && parallel --will-cite -q --colsep '\t' "${job[@]}" -- {1} {2} \
    :::: "$state/missing") >> "$state/results"
fi

"$here/summary.py" "$state/videos" "$state/results" "$out/summary.csv"
