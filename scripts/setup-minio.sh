#!/usr/bin/env bash
# Installs the MinIO server used by the S3 transport tests and bench (test/helpers/minio.ts).
# Idempotent: does nothing if a minio binary is already on MINIO_BIN, in $(go env GOPATH)/bin or
# on PATH. Otherwise builds it with `go install`, which reuses Go's module and build caches, so a
# second run on the same machine (or a CI runner with a restored Go cache) is fast.
set -euo pipefail

version="${MINIO_VERSION:-latest}"

if [[ -n "${MINIO_BIN:-}" && -x "${MINIO_BIN}" ]]; then
  echo "minio: using MINIO_BIN=${MINIO_BIN}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "setup-minio: Go is required to build MinIO (https://go.dev/dl/); or set MINIO_BIN to a minio binary" >&2
  exit 1
fi

gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"

if [[ -x "$gobin/minio" ]]; then
  echo "minio: already installed at $gobin/minio"
  exit 0
fi
if command -v minio >/dev/null 2>&1; then
  echo "minio: already on PATH at $(command -v minio)"
  exit 0
fi

echo "minio: building github.com/minio/minio@${version} (this takes a few minutes the first time)"
CGO_ENABLED=0 go install "github.com/minio/minio@${version}"
echo "minio: installed at $gobin/minio"
