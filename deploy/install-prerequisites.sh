#!/usr/bin/env bash
# Installs the servers that tests and the demo start privately: redis-server and PostgreSQL; and Debian's chromium
# (with a CJK font, so Chinese labels render) for the operator console's browser test.
# Safe to run again: it only acts on what is missing, and it never starts a service.
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
else
  SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
did_something=0

apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    echo "install-prerequisites: apt-get update"
    "${SUDO[@]}" apt-get update -qq
    apt_updated=1
  fi
  echo "install-prerequisites: apt-get install -y $*"
  # A temporary policy-rc.d (exit 101) stops the package scripts from starting the system-wide service.
  local policy=/usr/sbin/policy-rc.d placed=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod +x "$policy"
    placed=1
  fi
  local rc=0
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" || rc=$?
  if [ "$placed" -eq 1 ]; then
    "${SUDO[@]}" rm -f "$policy"
  fi
  if [ "$rc" -ne 0 ]; then
    echo "install-prerequisites: apt-get install $* failed ($rc)" >&2
    exit "$rc"
  fi
  did_something=1
}

have_redis() {
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]
}

have_postgres() {
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}

if have_redis; then
  echo "install-prerequisites: redis-server present ($(redis-server --version | awk '{print $3}' | sed 's/^v=//'))"
else
  apt_install redis-server
fi

if have_postgres; then
  echo "install-prerequisites: PostgreSQL present ($(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | sort -V | tail -1))"
else
  apt_install postgresql
fi

# The console's browser test drives the system Chromium through Playwright; Playwright never downloads a browser here.
if [ -x /usr/bin/chromium ]; then
  echo "install-prerequisites: chromium present ($(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
else
  apt_install chromium fonts-wqy-zenhei
fi

# deploy/compose/gen-certs.sh (run by the deploy tests) makes the CA with openssl and the brokers' keystores with keytool.
if command -v openssl >/dev/null 2>&1 && command -v keytool >/dev/null 2>&1; then
  echo "install-prerequisites: openssl and keytool present"
else
  apt_install openssl default-jre-headless
fi

if id postgres >/dev/null 2>&1; then
  echo "install-prerequisites: user postgres present"
else
  echo "install-prerequisites: creating system user postgres"
  "${SUDO[@]}" useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  did_something=1
fi

if [ "$did_something" -eq 0 ]; then
  echo "install-prerequisites: nothing to do"
fi
