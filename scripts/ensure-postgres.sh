#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 with trust auth for user
# postgres: starts the local cluster when it is down, installs PostgreSQL from
# Debian's packages when it is missing.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 -U postgres 2>/dev/null; }

if ready; then exit 0; fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed; installing it from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  # Trust auth on loopback, as the project's machines are set up.
  hba=/etc/postgresql/$version/main/pg_hba.conf
  sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
fi

version=$(ls /etc/postgresql | sort -V | tail -n1)
echo "starting PostgreSQL $version"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 60); do
  if ready; then exit 0; fi
  sleep 0.5
done
echo "PostgreSQL did not become ready on 127.0.0.1:5432" >&2
exit 1
