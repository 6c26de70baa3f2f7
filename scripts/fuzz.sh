#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, AddressSanitizer and UBSan into FUZZ_BUILD_DIR
# (default build-fuzz) and runs each for SECONDS_EACH seconds (default 10) from its fixture seeds;
# fails on any crash, hang, leak or sanitizer report. `tests/` runs it briefly when clang exists.
#   scripts/fuzz.sh [SECONDS_EACH]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-10}"
DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
CXX=clang++ cmake -S . -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHARNESS_FUZZ=ON \
  -DHARNESS_WITH_TORCH=OFF -DHARNESS_BUILD_BENCH=OFF -DHARNESS_FUZZ_SECONDS="$SECONDS_EACH" >/dev/null
cmake --build "$DIR" --target fuzz_targets -j "${JOBS:-$(nproc)}"
cd "$DIR"
ctest -R '^fuzz_' --output-on-failure
