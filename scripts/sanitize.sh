#!/usr/bin/env bash
# The C++ test binaries under AddressSanitizer + UBSan (+ LeakSanitizer): builds them in build-asan/ (never build/)
# with -DRETINAFACE_SANITIZE=ON and no CUDA, runs every retinaface_*_tests there, and fails on a failing case or on
# any sanitizer report, recoverable UBSan ones included. clang by default (about 3x quicker to build than gcc here);
# CXX=g++ CC=gcc to use gcc. Prints only "sanitize: ..." lines; a failing binary's log is shown in full.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=build-asan
JOBS=${JOBS:-$(nproc)}
export CC=${CC:-clang} CXX=${CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "sanitize: $CXX is not installed (apt-get install clang, or CXX=g++)"; exit 1; }

start=$(date +%s)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  # -O1 and line tables only: sanitizer builds compile slowly, and this is what the stack traces need.
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    -DRETINAFACE_SANITIZE=ON -DRETINAFACE_WITH_CUDA=OFF --log-level=WARNING >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; echo "sanitize: cmake could not configure $BUILD"; exit 1; }
  rm -f "$BUILD.configure.log"
fi
# Every test binary the project defines (the same names scripts/test.js runs from build/).
targets=$(grep -oE '^add_executable\(retinaface_[a-z_]+_tests' CMakeLists.txt | sed 's/^add_executable(//' | grep -v cuda | sort -u)
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$JOBS" $(printf -- '--target %s ' $targets) >"$BUILD/build.log" 2>&1 ||
  { tail -n 60 "$BUILD/build.log"; echo "sanitize: the sanitizer build failed (log: $BUILD/build.log)"; exit 1; }
built=$(date +%s)
echo "sanitize: built $(echo $targets | wc -w) test binaries in $BUILD in $((built - start)) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for target in $targets; do
  log="$BUILD/$target.log"
  code=0
  "$BUILD/$target" >"$log" 2>&1 || code=$?
  # The binaries end with "N passed, N failed"; only the final test command of CI may print that, so re-word it.
  counts=$(tail -n 3 "$log" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 cases ok, \2 failing/p')
  reports=$(grep -cE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$log" || true)
  if [ "$code" -ne 0 ] || [ "$reports" -ne 0 ] || [ -z "$counts" ] || ! echo "$counts" | grep -q ' 0 failing'; then
    sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 cases ok, \2 failing/' "$log" | tail -n 80
    echo "sanitize: $target FAILED (exit $code, $reports sanitizer reports, ${counts:-no summary}; log: $log)"
    status=1
  else
    echo "sanitize: $target: ${counts}, no sanitizer report"
  fi
done
echo "sanitize: done in $(($(date +%s) - start)) s"
exit $status
