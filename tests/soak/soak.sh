#!/usr/bin/env bash
# Soak benchmark (a script, not a test): 20 minutes (or MINUTES) of a live
# source through `ilgnet crop=multi overlay=crop location=...` with caps
# changes, flush seeks and state cycles every few seconds; prints RSS,
# threads and fds every 10 s, frames late, and whether they stayed flat.
#   tests/soak/soak.sh [MINUTES] [ilgnet-soak options, e.g. --model M]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-tests"
minutes=${1:-20}
shift || true
# build-tests/ is the test build (-Dtests=enabled): without --tests the
# set-up would reconfigure it with the tests, and this program, left out.
"$top/src/tools/setup-build.sh" "$build" --tests >&2
export GST_PLUGIN_PATH_1_0="$build/gst-plugin"
exec nice -n 5 "$build/tests/soak/ilgnet-soak" \
  --duration "$(( ${minutes%.*} * 60 ))" "$@"
