#!/usr/bin/env bash
# Installs egts-mmdb, the test tool that writes small MaxMind DB (.mmdb) files for the GeoIP tests
# (test/standalone/security-policy-geoip.test.ts): test/tools/mmdb-writer, a Go program on MaxMind's writer
# library (github.com/maxmind/mmdbwriter, pinned in its go.mod/go.sum), built with the machine's Go toolchain:
#
#   $EGTS_CACHE/mmdb-writer-<MMDB_WRITER_VERSION>/bin/egts-mmdb
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). The binary is built in a temporary
# sibling folder that is renamed into place when complete; a complete folder makes this a quick no-op. Delete it
# to rebuild. MMDB_WRITER_VERSION (mmdbwriter's version and a revision of our tool) is also pinned in
# test/support/geoip.ts: change both together when the tool or its dependencies change.
#
# Usage: bash scripts/install-mmdb-writer.sh   (first run: about a minute of Go build and module downloads)
set -euo pipefail

MMDB_WRITER_VERSION=v1.2.0-r1
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/go-tool.sh
go_tool_setup mmdb-writer "$MMDB_WRITER_VERSION"
go_tool_present egts-mmdb
build() { (cd test/tools/mmdb-writer && nice -n 19 go build -mod=readonly -trimpath -o "$1/egts-mmdb" .); }
go_tool_build "it builds test/tools/mmdb-writer" build
