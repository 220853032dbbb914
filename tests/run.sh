#!/usr/bin/env bash
# Builds gst-ilgnet and runs every test (unit, parity, GstHarness, end to
# end, and a short libFuzzer run of each harness: tests/fuzz/run-fuzzers.sh).
# Installs missing Debian packages first.  The last line printed is
# "N passed, N failed" (", N skipped" when tests were skipped).
# Extra arguments go to `meson test` (e.g. a test name or --suite parity).
# --sanitize: the same suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer in build-sanitize/ (valgrind tests left out;
# programs not built here, gst-launch-1.0 and python3 loading the plugin,
# get the runtimes preloaded; leaks are valgrind's job, so not checked).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build-tests"
sanitize=0
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=1
  shift
  build="$top/build-sanitize"
  export ILGNET_MESON_ARGS="-Db_sanitize=address,undefined -Db_lundef=false"
  # Tests that run valgrind or count work done in time read this.
  export ILGNET_SANITIZE=1
  # Any report fails the test that triggered it.
  export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
if ! "$top/src/tools/setup-build.sh" "$build" --tests; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ $sanitize = 1 ]; then
  LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  export LD_PRELOAD
fi
# Never more than the machine's cores; each test may use up to 2 threads.
jobs=$(( $(nproc) / 2 )); [ "$jobs" -ge 1 ] || jobs=1
# The libFuzzer harnesses run on a full run only (no test or suite named;
# `--setup NAME`, as CI's `--setup ci`, is still a full run).  meson names
# its log after the setup: testlog.json, or testlog-NAME.json.
full=1 setup=
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --setup) i=$((i + 1)); setup=${args[i]:-} ;;
    --setup=*) setup=${args[i]#--setup=} ;;
    *) full=0 ;;
  esac
done
log="$build/meson-logs/testlog${setup:+-$setup}.json"
# A log left by an earlier run must never be counted as this run's.
rm -f "$log"
meson test -C "$build" --num-processes "$jobs" --print-errorlogs "$@"
rc=$?
if [ ! -s "$log" ]; then
  echo "meson test wrote no results ($log)"
  echo "0 passed, 1 failed"
  exit 1
fi
# The libFuzzer harnesses, ILGNET_FUZZ_SECONDS each (default 60; 0 skips):
# one more test.
fuzz_pass=0 fuzz_fail=0
fuzz_seconds=${ILGNET_FUZZ_SECONDS:-60}
if [ $full = 1 ] && [ "$fuzz_seconds" != 0 ] && [ $sanitize = 0 ]; then
  if "$top/tests/fuzz/run-fuzzers.sh" \
      "$(/usr/bin/python3 -c "import sys; print(int(sys.argv[1]) / 60)" "$fuzz_seconds")"; then
    fuzz_pass=1
  else
    fuzz_fail=1
  fi
fi
read -r pass fail skip < <(/usr/bin/python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
pass=$((pass + fuzz_pass)) fail=$((fail + fuzz_fail))
if [ "$skip" -gt 0 ]; then
  echo "$pass passed, $fail failed, $skip skipped"
else
  echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ $rc -eq 0 ]
