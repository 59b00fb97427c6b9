#!/usr/bin/env bash
# Installs what `npm test` needs besides npm packages, idempotently, on Debian (as root, or with sudo):
# a PostgreSQL server (initdb/pg_ctl; the tests start their own throw-away server), Prometheus Alertmanager
# (the same: the tests start their own),
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

if [ -x /usr/bin/prometheus-alertmanager ]; then
  echo "--> Alertmanager present: $(/usr/bin/prometheus-alertmanager --version 2>&1 | head -n 1)"
else
  echo "--> apt-get install prometheus-alertmanager"
  # The package's postinst starts its service (sysvinit or systemd) on :9093/:9094, and fails the install when the
  # init script fails; the tests start their own Alertmanager, so keep the service from starting: a policy-rc.d
  # that denies every start (exit 101), only when none is installed, removed again afterwards.
  POLICY=/usr/sbin/policy-rc.d
  if [ -e "$POLICY" ]; then
    OWN_POLICY=""
  else
    OWN_POLICY=1
    $SUDO sh -c "printf '#!/bin/sh\nexit 101\n' > $POLICY && chmod 755 $POLICY"
    trap '$SUDO rm -f "$POLICY"' EXIT
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null
  if [ -n "$OWN_POLICY" ]; then
    $SUDO rm -f "$POLICY"
    trap - EXIT
  fi
  test -x /usr/bin/prometheus-alertmanager
fi

bash .ci/install-notebook-deps.sh
