#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs the harness's main job with its built-in default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
exec "${BUILD_DIR:-build}/bin/harness" run "$@"
