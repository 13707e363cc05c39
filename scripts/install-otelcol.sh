#!/usr/bin/env bash
# Installs egts-otelcol, the OpenTelemetry Collector the telemetry tests run as the real peer of Envoy's tracers,
# OpenTelemetry access logger and stat sink (test/standalone/proxy-telemetry-*.test.ts): test/tools/otelcol, a
# small collector main on the collector's own modules (go.opentelemetry.io/collector v0.165.0 with the OTLP
# receiver and the OTLP/HTTP and debug exporters; the contrib Zipkin receiver v0.165.1, the release that goes with
# them), pinned in its go.mod/go.sum, built with Go 1.27:
#
#   $EGTS_CACHE/otelcol-<OTELCOL_VERSION>/bin/egts-otelcol
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). The binary is built in a temporary
# sibling folder that is renamed into place when complete; a complete folder makes this a quick no-op. Delete it
# to rebuild. OTELCOL_VERSION (the collector release and a revision of our main) is also pinned in
# test/support/otel-collector.ts: change both together.
#
# Usage: bash scripts/install-otelcol.sh   (first run: about 5 minutes of Go build and module downloads on 2 cores)
set -euo pipefail

OTELCOL_VERSION=v0.165.0-r1
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/go-tool.sh
go_tool_setup otelcol "$OTELCOL_VERSION"
go_tool_present egts-otelcol
build() { (cd test/tools/otelcol && nice -n 19 go build -mod=readonly -trimpath -o "$1/egts-otelcol" .); }
go_tool_build "it builds test/tools/otelcol" build
