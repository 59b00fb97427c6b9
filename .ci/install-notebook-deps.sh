#!/usr/bin/env bash
# Installs what the notebook tests and `npm run report` need, idempotently:
#   - JupyterLab 4 + nbconvert, with pip, from the package index this machine is
#     configured for (pip config / PIP_* variables). When pip only has extra
#     indexes configured (e.g. a local mirror), they are used as THE index, so
#     pip never waits on an unreachable default index (pypi.org).
#     Override with MLBOX_PIP_INDEX_URL=<url>.
#   - Chromium (Debian package `chromium`, /usr/bin/chromium) with apt-get.
# Runs as root on CI; as another user it uses sudo for apt-get when available.
# Python: $PYTHON, default python3.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
log() { printf -- '--> %s\n' "$*"; }

jupyter_ok() {
  command -v jupyter >/dev/null 2>&1 || return 1
  "$PYTHON" - <<'EOF' >/dev/null 2>&1
import importlib.metadata as m, sys
try:
    lab = m.version("jupyterlab")
    m.version("nbconvert")
except m.PackageNotFoundError:
    sys.exit(1)
sys.exit(0 if lab.split(".")[0] == "4" else 1)
EOF
}

# Prints pip arguments selecting the configured index (one per line).
pip_index_args() {
  if [ -n "${MLBOX_PIP_INDEX_URL:-}" ]; then
    printf '%s\n' --index-url "$MLBOX_PIP_INDEX_URL"
    return
  fi
  "$PYTHON" - <<'EOF'
import re, subprocess, sys
out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
index, extra = [], []
for line in out.splitlines():
    m = re.match(r"^[^.]*\.(index-url|extra-index-url)='(.*)'$", line.strip())
    if m:
        (index if m.group(1) == "index-url" else extra).extend(m.group(2).split())
import os
index += os.environ.get("PIP_INDEX_URL", "").split()
extra += os.environ.get("PIP_EXTRA_INDEX_URL", "").split()
if index:
    # An explicit index is configured: pip uses it as it is.
    sys.exit(0)
if extra:
    # Only extra indexes: make the first the index so pypi.org is never consulted.
    print("--index-url"); print(extra[0])
    for url in extra[1:]:
        print("--extra-index-url"); print(url)
EOF
}

if jupyter_ok; then
  log "JupyterLab $(jupyter lab --version) and nbconvert $(jupyter nbconvert --version) already installed"
else
  mapfile -t index_args < <(pip_index_args)
  log "pip install jupyterlab 4 + nbconvert ${index_args[*]:-}"
  # Debian's system Python is "externally managed"; CI installs into it on purpose.
  PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install --quiet --retries 1 --timeout 30 \
    "${index_args[@]}" "jupyterlab>=4,<5" "nbconvert>=7" ipykernel
  # pyenv only sees new console scripts (jupyter) after a rehash.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
  hash -r
  if ! jupyter_ok; then
    echo "install-notebook-deps: jupyter is still not usable after pip install (is pip's script folder on PATH?)" >&2
    exit 1
  fi
  log "installed JupyterLab $(jupyter lab --version), nbconvert $(jupyter nbconvert --version)"
fi

if [ -x /usr/bin/chromium ]; then
  log "$(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
else
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "install-notebook-deps: installing chromium needs root (apt-get install chromium)" >&2
      exit 1
    fi
  fi
  log "apt-get install chromium"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  log "installed $(/usr/bin/chromium --version 2>/dev/null)"
fi
