#!/usr/bin/env bash
# Installs the MinIO server used by the S3 transport tests and bench (test/helpers/minio.ts).
# Idempotent: does nothing if MINIO_BIN names a binary, or if $(go env GOPATH)/bin/minio was built
# from the pinned version (`go version -m` tells), or, without Go, if minio is on PATH. Otherwise
# builds it with `go install`, which reuses Go's module and build caches, so a second run on the
# same machine (or a CI runner with a restored Go cache) is fast.
#
# The version is pinned so that CI is repeatable. MinIO publishes no semver tags Go can use, so
# the pin is the pseudo-version `go install github.com/minio/minio@latest` resolved to through the
# Go module proxy (commit 7aac2a2c5b7c of 2026-02-12). MINIO_VERSION overrides it.
set -euo pipefail

version="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

if [[ -n "${MINIO_BIN:-}" && -x "${MINIO_BIN}" ]]; then
  echo "minio: using MINIO_BIN=${MINIO_BIN}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  if command -v minio >/dev/null 2>&1; then
    echo "minio: no Go to check its version; using $(command -v minio) from PATH"
    exit 0
  fi
  echo "setup-minio: Go is required to build MinIO (https://go.dev/dl/); or set MINIO_BIN to a minio binary" >&2
  exit 1
fi

gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"

if [[ -x "$gobin/minio" ]]; then
  built="$(go version -m "$gobin/minio" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/minio/minio" { print $3 }')"
  if [[ "$built" == "$version" ]]; then
    echo "minio: $version already installed at $gobin/minio"
    exit 0
  fi
  echo "minio: $gobin/minio is ${built:-of an unknown version}, not the pinned $version; rebuilding"
fi

echo "minio: building github.com/minio/minio@${version} (this takes a few minutes the first time)"
CGO_ENABLED=0 go install "github.com/minio/minio@${version}"
echo "minio: installed at $gobin/minio"
