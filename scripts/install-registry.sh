#!/usr/bin/env bash
# Installs the OCI registry the Wasm image tests push to and pull from: the CNCF distribution registry
# (github.com/distribution/distribution/v3, the registry Docker Hub's open-source server is built from), built
# from its Go module with the machine's Go toolchain:
#
#   $EGTS_CACHE/registry-<REGISTRY_VERSION>/bin/registry
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). The binary is built in a temporary
# sibling folder that is renamed into place when complete, so an interrupted build never leaves a half
# folder; a complete folder makes this a quick no-op. Delete it to rebuild. The version is also pinned in
# test/support/oci-registry.ts: change both together. Its go.mod says go 1.26.0; when the machine's Go is
# older, GOTOOLCHAIN (default go1.27.3 here) lets the go command fetch a newer toolchain from the Go proxy.
# The module has no replace directives, so `go install module@version` works.
#
# Usage: bash scripts/install-registry.sh   (first run: about 6 minutes of Go build on 2 cores; then < 0.1 s)
set -euo pipefail

REGISTRY_VERSION=v3.1.2
REGISTRY_PACKAGE=github.com/distribution/distribution/v3/cmd/registry

CACHE="${EGTS_CACHE:-$HOME/.cache/egts}"
DEST="$CACHE/registry-$REGISTRY_VERSION"
log() { printf 'install-registry: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [ -x "$DEST/bin/registry" ]; then
	log "registry $REGISTRY_VERSION already in $DEST/bin/registry"
	exit 0
fi

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 builds the registry)"
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.registry-$REGISTRY_VERSION.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log "building $REGISTRY_PACKAGE@$REGISTRY_VERSION into $DEST"
start=$(date +%s)
mkdir -p "$TMP/bin"
GOBIN="$TMP/bin" CGO_ENABLED=0 nice -n 19 go install -trimpath "$REGISTRY_PACKAGE@$REGISTRY_VERSION"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
log "done in $(($(date +%s) - start)) s: $DEST/bin/registry"
