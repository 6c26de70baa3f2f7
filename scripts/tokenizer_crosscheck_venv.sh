#!/bin/sh
# Creates (once) a virtualenv with the pinned Hugging Face `tokenizers` for the tokenizer
# cross-check test and prints its python. Exit status 3 means pip could not install the package
# (e.g. no network): the test then skips and says why. Concurrent callers serialise on a lock.
# Usage: tokenizer_crosscheck_venv.sh VENV_DIR
set -eu
TOKENIZERS_VERSION=0.21.1
venv=$1
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if "$venv/bin/python" -c "import tokenizers, sys; sys.exit(tokenizers.__version__ != '$TOKENIZERS_VERSION')" 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2 || exit 3
"$venv/bin/pip" install --quiet --disable-pip-version-check "tokenizers==$TOKENIZERS_VERSION" >&2 || exit 3
echo "$venv/bin/python"
