#!/usr/bin/env bash
# Install and start what reefwatch's tests use, on a fresh Debian machine:
# tshark (decoding oracle), the Python oracles (STIX/TAXII), PostgreSQL.
# Safe to run again; skips what is already there.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
need_apt=()
command -v tshark >/dev/null 2>&1 || need_apt+=(tshark)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# Python oracles (taxii2-client, stix2, stix2-matcher, stix2-validator)
if ! python3 -c 'import taxii2client, stix2, stix2matcher, stix2validator, stix2patterns, yaml' 2>/dev/null; then
  echo "setup: pip install Python oracles"
  python3 -m pip install -q --disable-pip-version-check \
    taxii2-client stix2 stix2-matcher stix2-patterns stix2-validator pytest pyyaml 2>&1 | tail -2 || true
fi
# PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test`
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -n "$ver" ]; then
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    if ! grep -q "reefwatch-trust" "$hba"; then
      $SUDO sed -i '1i host all all 127.0.0.1/32 trust # reefwatch-trust\nhost all all ::1/128 trust # reefwatch-trust\nlocal all all trust # reefwatch-trust' "$hba"
    fi
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
  echo "setup: PostgreSQL ready on 127.0.0.1:5432"
else
  echo "setup: warning: PostgreSQL is not running; PostgreSQL backend tests will fail" >&2
fi
