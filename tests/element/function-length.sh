#!/bin/sh
# No function in gst-plugin/ is longer than 100 lines, but a class_init
# (which is a list of property installations and their documentation):
# longer ones do several things and are split.  A function is counted as in
# GStreamer's style, from its '{' at column 0 to the next '}' at column 0.
# usage: function-length.sh DIR (every DIR/*.c; a new file is checked too)
set -eu
max=100
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 DIR" >&2; exit 2; }
set -- "$1"/*.c
awk -v max="$max" '
  FNR == 1 { start = 0 }
  /^[A-Za-z_].*\(/ { name = $0 }
  /^\{/ { start = FNR; fname = name }
  /^\}/ && start {
    n = FNR - start - 1
    if (n > max && fname !~ /_class_init \(/) {
      printf "%s:%d: %s is %d lines (at most %d)\n", FILENAME, start, fname, n, max
      bad = 1
    }
    start = 0
  }
  END { exit bad }' "$@" || { echo "FAIL: functions over $max lines" >&2; exit 1; }
echo "every function of $# files is at most $max lines (class_init aside)"
