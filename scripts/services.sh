#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to for real (PostgreSQL,
# Prometheus, Chromium). The tests start and stop their own instances on
# loopback; nothing here leaves a daemon running. Idempotent and quick when
# everything is already installed.
set -euo pipefail

need=()
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "services: installing ${need[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # --no-install-recommends keeps the install small; policy-rc.d stops Debian from
  # starting the packaged daemons (tests start their own on loopback).
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
# Packaged daemons may have been started by an earlier install without policy-rc.d.
pkill -x prometheus 2>/dev/null || true
echo "services: postgresql, prometheus, chromium ready" >&2
