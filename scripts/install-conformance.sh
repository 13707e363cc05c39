#!/usr/bin/env bash
# Builds what the Gateway API conformance run (`npm run conformance`) needs, into the egts cache:
#
#   $EGTS_CACHE/conformance-v1.7.0/bin/echo-basic         the suite's backend (the echo-basic image's program)
#   $EGTS_CACHE/conformance-v1.7.0/bin/conformance.test   the suite: `go test -c` of e2e/conformance
#   $EGTS_CACHE/conformance-v1.7.0/key                    sha256 of every input below
#
# Inputs: e2e/conformance/{go.mod,go.sum,*.go}, the gateway-api-conformance-images source (for the replace
# directive and echo-basic), the Go toolchain. A change to any of them changes the key and rebuilds; the
# same key makes this a quick no-op. The folder is built in a temporary sibling and renamed into place
# when complete, so an interrupted build never leaves a half cache.
#
# sigs.k8s.io/gateway-api/conformance v1.7.0 needs Go 1.27: GOTOOLCHAIN=go1.27.3 (the go command fetches
# that toolchain from the module proxy once). It imports sigs.k8s.io/gateway-api-conformance-images, whose
# zip the module proxy refuses; its source is read from the first of:
#   $EGTS_CONFORMANCE_IMAGES
#   <repository>/../shared/third_party/gateway-api-conformance-images
#   <the local repository this one was cloned from>/../shared/third_party/gateway-api-conformance-images
#   <main checkout of this git worktree>/../shared/third_party/gateway-api-conformance-images
# e2e/conformance/go.mod's own replace directive is the second (a checkout beside `shared/`); this script
# builds with a copy of that go.mod (go -modfile) whose replace names the folder found, so a clone anywhere
# works once that folder is found.
#
# Usage: bash scripts/install-conformance.sh   (cold: minutes on 2 cores; with a warm cache: < 1 s)
set -euo pipefail

GATEWAY_API_VERSION=v1.7.0 # keep in sync with e2e/conformance/go.mod and e2e/conformance/run.ts
GO_TOOLCHAIN=go1.27.3
IMAGES_MODULE=sigs.k8s.io/gateway-api-conformance-images

log() { printf 'install-conformance: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="$repo/e2e/conformance"

cache="${EGTS_CACHE:-}"
cache="${cache#"${cache%%[![:space:]]*}"}"
cache="${cache%"${cache##*[![:space:]]}"}"
[[ -n "$cache" ]] || cache="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/egts"
dir="$cache/conformance-$GATEWAY_API_VERSION"

# ---- the gateway-api-conformance-images source -------------------------------------------------------
images_candidates=()
[[ -n "${EGTS_CONFORMANCE_IMAGES:-}" ]] && images_candidates+=("$EGTS_CONFORMANCE_IMAGES")
images_candidates+=("$repo/../shared/third_party/gateway-api-conformance-images")
# A clone of a local repository (CI clones /work/main into a fresh folder): beside the repository it was
# cloned from.
if origin="$(git -C "$repo" config --get remote.origin.url 2>/dev/null)" && origin="${origin#file://}" && [[ "$origin" == /* ]]; then
	images_candidates+=("$origin/../shared/third_party/gateway-api-conformance-images")
fi
if common="$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)"; then
	images_candidates+=("$(dirname "$common")/../shared/third_party/gateway-api-conformance-images")
fi
images=""
for c in "${images_candidates[@]}"; do
	if [[ -f "$c/go.mod" && -d "$c/echo-basic" ]]; then
		images="$(cd "$c" && pwd)"
		break
	fi
done
[[ -n "$images" ]] || die "the $IMAGES_MODULE source is not in any of: ${images_candidates[*]}. Put the clone beside \`shared/\` (the folder holding third_party/gateway-api-conformance-images) or set EGTS_CONFORMANCE_IMAGES to that folder."

# ---- the key -----------------------------------------------------------------------------------------
export GOTOOLCHAIN="$GO_TOOLCHAIN"
key_inputs() {
	printf 'toolchain %s\n' "$GO_TOOLCHAIN"
	(cd "$module" && sha256sum go.mod go.sum ./*.go)
	(cd "$images" && find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
key="$(key_inputs | sha256sum | cut -d' ' -f1)"
is_exe() { [[ -f "$1" && -x "$1" ]]; }
complete() { is_exe "$dir/bin/echo-basic" && is_exe "$dir/bin/conformance.test" && [[ "$(cat "$dir/key" 2>/dev/null)" == "$key" ]]; }
summary() {
	log "echo-basic: $dir/bin/echo-basic"
	log "conformance suite $GATEWAY_API_VERSION: $dir/bin/conformance.test (key ${key:0:12})"
}

if complete; then
	log "cache complete, nothing to do"
	summary
	exit 0
fi

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed; it fetches $GO_TOOLCHAIN itself)"
mkdir -p "$cache"
exec 9>"$cache/.install-conformance.lock"
if ! flock -n 9; then
	log "another install-conformance is running on $cache; waiting for it"
	flock 9
fi
if complete; then
	log "cache completed by another run"
	summary
	exit 0
fi
rm -rf "$dir".tmp-* "$dir".old-*

stage="$(mktemp -d "$dir.tmp-XXXXXX")"
cleanup() { rm -rf "$stage"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false"
export GO111MODULE=on
unset GOOS GOARCH GOWORK 2>/dev/null || true
GO=(nice -n 19 go)
log "building with $("${GO[@]}" version) (GOTOOLCHAIN=$GOTOOLCHAIN), $IMAGES_MODULE from $images"
mkdir -p "$stage/bin" "$stage/mod"

start=$SECONDS
(cd "$images" && "${GO[@]}" build -o "$stage/bin/echo-basic" ./echo-basic) || die "go build ./echo-basic failed in $images"
log "echo-basic built in $((SECONDS - start)) s"

# The module's go.mod with the replace directive pointing at the folder found above.
cp "$module/go.mod" "$stage/mod/go.mod"
cp "$module/go.sum" "$stage/mod/go.sum"
(cd "$module" && "${GO[@]}" mod edit -modfile="$stage/mod/go.mod" -replace "$IMAGES_MODULE=$images")
start=$SECONDS
(cd "$module" && "${GO[@]}" test -c -modfile="$stage/mod/go.mod" -o "$stage/bin/conformance.test" .) ||
	die "go test -c failed in $module"
log "conformance.test built in $((SECONDS - start)) s"
rm -rf "$stage/mod"
printf '%s\n' "$key" >"$stage/key"

# Swap the complete folder into place (a running echo-basic keeps its old file).
if [[ -e "$dir" ]]; then
	old="$(mktemp -u "$dir.old-XXXXXX")"
	mv "$dir" "$old"
	mv "$stage" "$dir"
	rm -rf "$old"
else
	mv "$stage" "$dir"
fi
trap - EXIT
summary
