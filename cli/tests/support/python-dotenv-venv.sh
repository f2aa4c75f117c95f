#!/usr/bin/env bash
# Prints the python of a virtual environment in DIR holding python-dotenv from PyPI, creating
# it on first use. cli/tests/export.rs reads `export --format dotenv` back with it.
# The venv is built beside DIR and renamed into place, so an interrupted run leaves nothing
# half-installed behind.
set -euo pipefail
dir=${1:?usage: python-dotenv-venv.sh DIR}
version=1.2.4
if ! "$dir/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('python-dotenv') != '$version')" 2>/dev/null; then
  command -v python3 >/dev/null || { echo "python3 is not installed" >&2; exit 1; }
  rm -rf "$dir.new"
  python3 -m venv "$dir.new" >&2
  "$dir.new/bin/python" -m pip install --quiet --disable-pip-version-check "python-dotenv==$version" >&2
  rm -rf "$dir"
  mv "$dir.new" "$dir"
fi
echo "$dir/bin/python"
