#!/usr/bin/env bash
# Installs the global rate limit test peers: Envoy's rate limit service (github.com/envoyproxy/ratelimit,
# the service Envoy Gateway deploys for BackendTrafficPolicy rateLimit.global), built from its Go module with
# the machine's Go toolchain, and Redis (Debian's redis-server package), its counter store:
#
#   $EGTS_CACHE/ratelimit-<RATELIMIT_VERSION>/bin/ratelimit
#   redis-server on PATH
#
# Cached and built as scripts/lib/go-tool.sh describes (a complete folder makes this a no-op). The version is the one Envoy
# Gateway v1.9.1's go.mod requires (a commit pseudo-version; the project tags no newer release), and is also
# pinned in test/support/ratelimit.ts: change both together. Its go.mod says go 1.25.6, below this machine's
# Go, so no GOTOOLCHAIN is needed; the module has no replace directives, so `go install module@version` works.
#
# Usage: bash scripts/install-ratelimit.sh   (first run: 1 to 4 minutes of Go build on 2 cores; then < 0.1 s)
set -euo pipefail

RATELIMIT_VERSION=v1.4.1-0.20260122083618-3fb702589d36
RATELIMIT_PACKAGE=github.com/envoyproxy/ratelimit/src/service_cmd
GO_MIN_VERSION=1.25.6

source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
go_tool_setup ratelimit "$RATELIMIT_VERSION"

# ---- redis-server (Debian package) ------------------------------------------------------------------
if ! command -v redis-server >/dev/null; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
	log "installing redis-server with apt-get"
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server
	# The package starts a system Redis on 6379 where a service manager runs; the tests start their own on
	# free ports and never use it.
fi
log "redis-server: $(redis-server --version)"

# ---- the rate limit service --------------------------------------------------------------------------
go_tool_present ratelimit
build() {
	GOBIN="$1" nice -n 19 go install -trimpath "$RATELIMIT_PACKAGE@$RATELIMIT_VERSION"
	mv "$1/service_cmd" "$1/ratelimit"
}
go_tool_build "Go >= $GO_MIN_VERSION builds the rate limit service" build
