#!/usr/bin/env bash
# Installs the OCI registry the Wasm image tests push to and pull from: the CNCF distribution registry
# (github.com/distribution/distribution/v3, the registry Docker Hub's open-source server is built from), built
# from its Go module with the machine's Go toolchain:
#
#   $EGTS_CACHE/registry-<REGISTRY_VERSION>/bin/registry
#
# Cached and built as scripts/lib/go-tool.sh describes (a complete folder makes this a no-op). The version is also pinned in
# test/support/oci-registry.ts: change both together. Its go.mod says go 1.26.0; when the machine's Go is
# older, GOTOOLCHAIN (default go1.27.3 here) lets the go command fetch a newer toolchain from the Go proxy.
# The module has no replace directives, so `go install module@version` works.
#
# Usage: bash scripts/install-registry.sh   (first run: about 6 minutes of Go build on 2 cores; then < 0.1 s)
set -euo pipefail

REGISTRY_VERSION=v3.1.2
REGISTRY_PACKAGE=github.com/distribution/distribution/v3/cmd/registry
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"

source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
go_tool_setup registry "$REGISTRY_VERSION"
go_tool_present registry
build() { GOBIN="$1" nice -n 19 go install -trimpath "$REGISTRY_PACKAGE@$REGISTRY_VERSION"; }
go_tool_build "Go >= 1.26 builds the registry" build
