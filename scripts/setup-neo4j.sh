#!/usr/bin/env bash
# Installs the Neo4j 5.26 Community server the Neo4j tests start in-process (test/helpers/neo4j-server.ts):
# resolves org.neo4j:neo4j from Maven Central with `mvn dependency:copy-dependencies`
# (test/neo4j-launcher/pom.xml) into a cache every checkout shares, and compiles the small launcher
# (test/neo4j-launcher/Neo4jLauncher.java) with plain javac against it.
#
#   ${MEMARC_SERVERS_DIR:-$HOME/.cache/memarc-servers}/neo4j-<version>/lib/      the jars (about 123 MB)
#   ${MEMARC_SERVERS_DIR:-$HOME/.cache/memarc-servers}/neo4j-<version>/classes/  the launcher
#
# Idempotent and quick when present: the jars are resolved only when lib/ is missing (into a
# temporary folder renamed at the end, so an interrupted resolve is never taken for a complete
# one), and the launcher is compiled again only when its source changed. Needs Java 17+ (javac)
# and Maven. Skipped with a note when NEO4J_URI is set (the tests then use that server), or when
# Java or Maven is missing (the Neo4j tests then fail, naming what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

version="5.26.30" # keep in step with test/neo4j-launcher/pom.xml and test/helpers/neo4j-server.ts
root="${MEMARC_SERVERS_DIR:-$HOME/.cache/memarc-servers}/neo4j-${version}"
src="test/neo4j-launcher/Neo4jLauncher.java"

if [[ -n "${NEO4J_URI:-}" ]]; then
  echo "neo4j: NEO4J_URI is set, the tests use that server; nothing to install"
  exit 0
fi
for tool in java javac mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup-neo4j: $tool is not installed (Java 17+ and Maven are needed for the Neo4j tests; or set NEO4J_URI)" >&2
    exit 0
  fi
done

if [[ ! -d "$root/lib" ]]; then
  echo "neo4j: resolving org.neo4j:neo4j:${version} from Maven Central (about 40 s and 145 MB the first time)"
  mkdir -p "$root"
  rm -rf "$root/lib.tmp"
  start=$(date +%s)
  mvn -q -B -f test/neo4j-launcher/pom.xml dependency:copy-dependencies \
    -Dneo4j.version="$version" -DincludeScope=runtime -DoutputDirectory="$root/lib.tmp"
  mv "$root/lib.tmp" "$root/lib"
  echo "neo4j: $(ls "$root/lib" | wc -l) jars in $(( $(date +%s) - start )) s"
fi

sum="$(sha256sum "$src" | cut -d' ' -f1)"
if [[ ! -f "$root/classes/Neo4jLauncher.class" || "$(cat "$root/classes/.source-sha256" 2>/dev/null)" != "$sum" ]]; then
  echo "neo4j: compiling the launcher"
  rm -rf "$root/classes.tmp"
  mkdir -p "$root/classes.tmp"
  javac -nowarn -d "$root/classes.tmp" -cp "$root/lib/*" "$src"
  echo "$sum" > "$root/classes.tmp/.source-sha256"
  rm -rf "$root/classes"
  mv "$root/classes.tmp" "$root/classes"
fi
echo "neo4j: ${version} ready in $root"
