#!/usr/bin/env bash
# Installs Prometheus and promtool for the alerting-rule tests (test/metrics/): `promtool test rules` unit-tests
# the chart's PrometheusRule, and a real Prometheus server scrapes a running controller and evaluates the same
# rules. Both are built from Prometheus's Go module (github.com/prometheus/prometheus, the server's own source;
# its Go module versions are v0.<minor>.<patch> for the server's v3.<minor>.<patch>) with the machine's Go
# toolchain:
#
#   $EGTS_CACHE/prometheus-<PROMETHEUS_VERSION>/bin/{prometheus,promtool}
#
# Cached and built as scripts/lib/go-tool.sh describes (a complete folder makes this a no-op). The version is also pinned in
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
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"

source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
go_tool_setup prometheus "$PROMETHEUS_VERSION"
go_tool_present prometheus promtool
build() {
	GOBIN="$1" nice -n 19 go install -trimpath \
		"$PROMETHEUS_MODULE/cmd/prometheus@$PROMETHEUS_VERSION" \
		"$PROMETHEUS_MODULE/cmd/promtool@$PROMETHEUS_VERSION"
}
go_tool_build "Go >= 1.26 builds Prometheus" build
