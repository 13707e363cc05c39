#!/usr/bin/env bash
# Installs Envoy Gateway's own CLI, egctl, for the side-by-side benchmark (bench/side-by-side.ts): `egctl x
# translate` runs Envoy Gateway's Gateway API → xDS translator on a file, the same work `egts x translate` does.
# Built from Envoy Gateway's Go module (github.com/envoyproxy/gateway, cmd/egctl) with the machine's Go toolchain:
#
#   $EGTS_CACHE/egctl-<EGCTL_VERSION>/bin/egctl
#
# Cached and built as scripts/lib/go-tool.sh describes (a complete folder makes this a no-op). The version is also pinned in
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
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"

source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
go_tool_setup egctl "$EGCTL_VERSION"
go_tool_present egctl
build() { GOBIN="$1" nice -n 19 go install -trimpath "$EGCTL_PACKAGE@$EGCTL_VERSION"; }
go_tool_build "Go >= 1.26 builds egctl" build
