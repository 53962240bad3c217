#!/usr/bin/env bash
# Installs the pinned infrastructure validators (cfn-lint, checkov: scripts/infra/validators-requirements.txt)
# from PyPI into a cached venv and prints the venv's path on stdout (progress goes to stderr).
#
#   venv=$(scripts/infra/install-validators.sh) && "$venv/bin/cfn-lint" --version
#
# The venv lives in ${XDG_CACHE_HOME:-~/.cache}/filesearch-worker/infra-venv. It is rebuilt when
# the requirements file or the Python version changes, and only then (about a minute); a run that
# is interrupted leaves no stamp, so the next one rebuilds. PYTHON picks the interpreter (default
# python3, 3.9 or newer).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements="$here/validators-requirements.txt"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/filesearch-worker"
venv="$cache_root/infra-venv"
python="${PYTHON:-python3}"

log() { printf 'install-validators: %s\n' "$*" >&2; }

if ! command -v "$python" >/dev/null 2>&1; then
  log "$python not found; install Python 3.9+ (Debian: apt-get install -y python3 python3-venv) or set PYTHON"
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
  log "$("$python" --version 2>&1) is too old: cfn-lint and checkov need Python 3.9+"
  exit 1
fi

sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }

# The stamp names what the venv was built from: these pins and this interpreter.
want="$(sha256 "$requirements") $("$python" -c 'import sys; print(sys.version.split()[0])')"
stamp="$venv/.filesearch-stamp"

mkdir -p "$cache_root"
# One builder at a time (parallel CI jobs on one machine share the cache); flock is util-linux.
exec 9>"$cache_root/infra-venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  printf '%s\n' "$venv"
  exit 0
fi

log "building $venv (cfn-lint, checkov and their pinned dependencies from PyPI, about a minute)"
# Built in place: a venv's scripts name its absolute path, so it cannot be built elsewhere and moved.
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  log "could not create a venv; on Debian/Ubuntu: apt-get install -y python3-venv"
  exit 1
fi
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet -r "$requirements"
"$venv/bin/python" -m pip check >&2
printf '%s\n' "$want" >"$stamp"
log "ready: $("$venv/bin/cfn-lint" --version), checkov $("$venv/bin/checkov" --version)"
printf '%s\n' "$venv"
