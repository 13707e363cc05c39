#!/usr/bin/env bash
# Compares our policy CRDs (and HTTPRouteFilter) with Envoy Gateway v1.9.1's, structure only (crds/compare-eg.ts):
# fails on any field, type, bound, pattern or enum that differs. Fetches Envoy Gateway's module from the Go module
# proxy into the module cache (once). Needs `npm run build` first.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
command -v go >/dev/null || { echo "go is not on PATH: install Go (see README, Requirements)" >&2; exit 1; }
dir=$(go mod download -json github.com/envoyproxy/gateway@v1.9.1 |
  node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).Dir))')
node dist/crds/compare-eg.js "$dir/charts/gateway-crds-helm/templates/generated"
