#!/usr/bin/env bash
# Coverage-guided fuzzing (clang's libFuzzer) of the model-file loader, the
# prototxt parser, the caffemodel wire reader and the mean readers, built
# with AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/.
#
#   tests/fuzz/run-fuzzers.sh [MINUTES]     each harness for MINUTES
#                                           (default 1; 0.5 = 30 s)
#
# Seeds are the project's own valid files (tests/fuzz/libfuzzer/
# make-seeds.py); the corpora grow in build-fuzz/fuzz-corpus/ across runs.
# Every crash found becomes a regression input in tests/fuzz/regressions/
# HARNESS/, run first on every run.  Prints executions and coverage per
# harness; the last line is "fuzz: N executions, N crashes".  Needs
# clang-14 and libclang-rt-14-dev (installed when missing, as root).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-fuzz"
minutes=${1:-1}
seconds=$(/usr/bin/python3 -c "import sys; print(max(1, round(float(sys.argv[1]) * 60)))" "$minutes") || {
  echo "usage: run-fuzzers.sh [MINUTES]" >&2; exit 2; }
harnesses=(fuzz-model-file fuzz-prototxt fuzz-caffemodel fuzz-mean)

missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 meson setup "$build" "$top" -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link >&2 || exit 1
fi
targets=(src/tools/ilgnet-convert)
for h in "${harnesses[@]}"; do targets+=("tests/fuzz/libfuzzer/$h"); done
ninja -C "$build" "${targets[@]}" >&2 || exit 1

seeds="$build/fuzz-seeds"
if [ ! -d "$seeds" ]; then
  # make-seeds.py imports tests/fuzz's fuzz_common and ilgnet_tools.
  PYTHONPATH="$top/tests/fuzz:$top/src/tools" \
  /usr/bin/python3 "$top/tests/fuzz/libfuzzer/make-seeds.py" \
    --convert "$build/src/tools/ilgnet-convert" --out "$seeds.tmp" >&2 &&
    mv "$seeds.tmp" "$seeds" || exit 1
fi

# Leaks count as crashes; UBSan reports stop the run like ASan's.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export OPENBLAS_NUM_THREADS=1
total=0 crashes=0
for h in "${harnesses[@]}"; do
  corpus="$build/fuzz-corpus/$h" art="$build/fuzz-artifacts/$h"
  regress="$top/tests/fuzz/regressions/$h"
  mkdir -p "$corpus" "$art"
  dirs=("$corpus" "$seeds/$h")
  [ -d "$regress" ] && dirs+=("$regress")
  log="$build/fuzz-$h.log"
  # The biggest seed model is 64 KiB: room to grow, not to waste time.
  "$build/tests/fuzz/libfuzzer/$h" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2048 -max_len=131072 -print_final_stats=1 \
    -artifact_prefix="$art/" "${dirs[@]}" > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  echo "$h: ${execs:-0} executions in $seconds s, ${cov:-no coverage line}, corpus $(ls "$corpus" | wc -l) files"
  total=$((total + ${execs:-0}))
  if [ $rc -ne 0 ]; then
    crashes=$((crashes + 1))
    echo "$h: CRASH (exit $rc): $(ls -t "$art" | head -1)"
    grep -E "ERROR: |runtime error|SUMMARY" "$log" | head -5
  fi
done
echo "fuzz: $total executions, $crashes crashes"
[ $crashes -eq 0 ]
