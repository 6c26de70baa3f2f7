#!/bin/sh
# Creates (once) a virtualenv with the pinned Hugging Face reference tooling for the real-model golden
# files (scripts/real_model_golden.py) and the tiny Llama/Qwen2 safetensors round trip, and prints its
# python. It sees Debian's python3-torch 1.13 through --system-site-packages; transformers is pinned to
# the last release line that still runs on torch 1.13 and already reads GGUF files (4.44).
# Exit status 3 means pip could not install the packages (e.g. no network): callers skip and say why.
# Usage: real_model_venv.sh VENV_DIR
set -eu
PINS="transformers==4.44.2 tokenizers==0.19.1 gguf==0.10.0 safetensors==0.4.5 accelerate==0.33.0 jinja2==3.1.4"
venv=$1
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ -f "$venv/.pins" ] && [ "$(cat "$venv/.pins")" = "$PINS" ] && "$venv/bin/python" -c "import transformers, gguf, torch" 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv" >&2 || exit 3
# shellcheck disable=SC2086
"$venv/bin/pip" install --quiet --disable-pip-version-check $PINS >&2 || exit 3
echo "$PINS" > "$venv/.pins"
echo "$venv/bin/python"
