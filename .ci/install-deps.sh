#!/usr/bin/env bash
# Installs what `npm test` needs besides npm packages, idempotently, on Debian (as root, or with sudo):
# a PostgreSQL server (initdb/pg_ctl; the tests start their own throw-away server),
# Jupyter (JupyterLab 4 + nbconvert) and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "--> PostgreSQL server binaries present: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
else
  echo "--> apt-get install postgresql"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

bash .ci/install-notebook-deps.sh
