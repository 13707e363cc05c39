#!/usr/bin/env bash
# Installs Prometheus and promtool for the alerting-rule tests (test/metrics/): `promtool test rules` unit-tests
# the chart's PrometheusRule, and a real Prometheus server scrapes a running controller and evaluates the same
# rules. Both are built from Prometheus's Go module (github.com/prometheus/prometheus, the server's own source;
# its Go module versions are v0.<minor>.<patch> for the server's v3.<minor>.<patch>) with the machine's Go
# toolchain:
#
#   $EGTS_CACHE/prometheus-<PROMETHEUS_VERSION>/bin/{prometheus,promtool}
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). The binaries are built in a temporary
# sibling folder that is renamed into place when complete, so an interrupted build never leaves a half folder;
# a complete folder makes this a quick no-op. Delete it to rebuild. The version is also pinned in
# test/support/prometheus-server.ts: change both together. Its go.mod says go 1.26.7; when the machine's Go is
# older, GOTOOLCHAIN (default go1.27.3 here) lets the go command fetch a newer toolchain from the Go proxy. The
# module has no replace directives, so `go install module@version` works. Built without the `builtinassets` tag:
# the server has no web UI (its HTTP API, which the tests query, is complete).
#
# Usage: bash scripts/install-prometheus.sh   (first run: 41 minutes of Go build on 2 busy shared cores, measured;
# then < 0.1 s)
set -euo pipefail

PROMETHEUS_VERSION=v0.316.0
PROMETHEUS_MODULE=github.com/prometheus/prometheus

CACHE="${EGTS_CACHE:-$HOME/.cache/egts}"
DEST="$CACHE/prometheus-$PROMETHEUS_VERSION"
log() { printf 'install-prometheus: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [ -x "$DEST/bin/prometheus" ] && [ -x "$DEST/bin/promtool" ]; then
	log "prometheus and promtool $PROMETHEUS_VERSION already in $DEST/bin"
	exit 0
fi

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 builds Prometheus)"
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.prometheus-$PROMETHEUS_VERSION.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log "building $PROMETHEUS_MODULE/cmd/{prometheus,promtool}@$PROMETHEUS_VERSION into $DEST"
start=$(date +%s)
mkdir -p "$TMP/bin"
GOBIN="$TMP/bin" CGO_ENABLED=0 nice -n 19 go install -trimpath \
	"$PROMETHEUS_MODULE/cmd/prometheus@$PROMETHEUS_VERSION" \
	"$PROMETHEUS_MODULE/cmd/promtool@$PROMETHEUS_VERSION"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
log "done in $(($(date +%s) - start)) s: $DEST/bin/prometheus, $DEST/bin/promtool"
