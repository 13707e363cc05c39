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
CACHE="${EGTS_CACHE:-$HOME/.cache/egts}"
DEST="$CACHE/mmdb-writer-$MMDB_WRITER_VERSION"
log() { printf 'install-mmdb-writer: %s\n' "$*" >&2; }

if [ -x "$DEST/bin/egts-mmdb" ]; then
	log "egts-mmdb $MMDB_WRITER_VERSION already in $DEST/bin/egts-mmdb"
	exit 0
fi

command -v go >/dev/null || {
	log "error: go is not on PATH (it builds test/tools/mmdb-writer)"
	exit 1
}
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.mmdb-writer-$MMDB_WRITER_VERSION.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log "building test/tools/mmdb-writer into $DEST"
start=$(date +%s)
mkdir -p "$TMP/bin"
(cd test/tools/mmdb-writer && CGO_ENABLED=0 nice -n 19 go build -mod=readonly -trimpath -o "$TMP/bin/egts-mmdb" .)
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
log "done in $(($(date +%s) - start)) s: $DEST/bin/egts-mmdb"
