#!/usr/bin/env bash
# Installs Envoy Gateway's own CLI, egctl, for the side-by-side benchmark (bench/side-by-side.ts): `egctl x
# translate` runs Envoy Gateway's Gateway API → xDS translator on a file, the same work `egts x translate` does.
# Built from Envoy Gateway's Go module (github.com/envoyproxy/gateway, cmd/egctl) with the machine's Go toolchain:
#
#   $EGTS_CACHE/egctl-<EGCTL_VERSION>/bin/egctl
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). The binary is built in a temporary
# sibling folder that is renamed into place when complete, so an interrupted build never leaves a half folder;
# a complete folder makes this a quick no-op. Delete it to rebuild. The version is also pinned in
# bench/side-by-side.ts: change both together (the newest v1.9.x the Go module proxy serves:
# `go list -m -versions github.com/envoyproxy/gateway`). Its go.mod says go 1.26.7; when the machine's Go is
# older, GOTOOLCHAIN (default go1.27.3 here) lets the go command fetch a newer toolchain from the Go proxy. The
# module has no replace directives, so `go install module@version` works. Not part of `npm test`: only the
# benchmark needs it.
#
# Usage: bash scripts/install-egctl.sh   (first run: a long Go build on 2 busy shared cores; then < 0.1 s)
set -euo pipefail

EGCTL_VERSION=v1.9.1
EGCTL_PACKAGE=github.com/envoyproxy/gateway/cmd/egctl

CACHE="${EGTS_CACHE:-$HOME/.cache/egts}"
DEST="$CACHE/egctl-$EGCTL_VERSION"
log() { printf 'install-egctl: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [ -x "$DEST/bin/egctl" ]; then
	log "egctl $EGCTL_VERSION already in $DEST/bin/egctl"
	exit 0
fi

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 builds egctl)"
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.egctl-$EGCTL_VERSION.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log "building $EGCTL_PACKAGE@$EGCTL_VERSION into $DEST"
start=$(date +%s)
mkdir -p "$TMP/bin"
GOBIN="$TMP/bin" CGO_ENABLED=0 nice -n 19 go install -trimpath "$EGCTL_PACKAGE@$EGCTL_VERSION"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
log "done in $(($(date +%s) - start)) s: $DEST/bin/egctl"
