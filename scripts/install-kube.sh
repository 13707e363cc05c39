#!/usr/bin/env bash
# Builds the tools of the Kubernetes test tier (tier 4) from their Go modules, with the machine's Go
# toolchain (no prebuilt download: only the Go module proxy is needed), into the egts cache:
#
#   $EGTS_CACHE/kube-<K8S_VERSION>/bin/{kube-apiserver,kube-controller-manager,kubectl}
#   $EGTS_CACHE/etcd-<ETCD_VERSION>/bin/etcd
#   $EGTS_CACHE/helm-<HELM_VERSION>/bin/helm
#   $EGTS_CACHE/chainsaw-<CHAINSAW_VERSION>/bin/chainsaw
#   $EGTS_CACHE/gateway-api-<GATEWAY_API_VERSION>/standard/*.yaml   (Gateway API standard CRDs)
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). Each folder is built in a
# temporary sibling and renamed into place when complete, so an interrupted build never leaves a half
# cache; a complete cache makes this a quick no-op. Delete a folder to rebuild it. The versions below
# are also pinned in e2e/harness/tools.ts: change both together.
#
# k8s.io/kubernetes and go.etcd.io/etcd/server/v3 cannot be `go install`ed: their go.mod files replace
# their sibling modules (k8s.io/* staging, go.etcd.io/etcd/*) with local paths. They are built from a
# small wrapper module that requires them and replaces each of those siblings with its published version.
# Go module and build caches stay in their default places (~/go/pkg/mod, ~/.cache/go-build) and are
# reused; every build runs under `nice -n 19`.
#
# Usage: bash scripts/install-kube.sh      (first run: tens of minutes on 2 cores; afterwards < 1 s)
set -euo pipefail

# ---- pinned versions (keep in sync with e2e/harness/tools.ts) ------------------------------------
K8S_VERSION=v1.37.2 # newest k8s.io/kubernetes release on the module proxy; go.mod says go 1.26.0
K8S_STAGING_VERSION=v0.37.2 # the k8s.io/* staging modules published with K8S_VERSION
ETCD_VERSION=v3.7.3 # newest etcd 3.7 (k8s v1.37 uses the etcd 3.7 client); go 1.26.0
HELM_VERSION=v4.3.1 # newest Helm; go 1.26.0
CHAINSAW_VERSION=v0.2.15 # newest chainsaw the module proxy serves (it refuses the version list); go 1.26.0
# sum.golang.org (as mirrored by the module proxy) has no record of chainsaw v0.2.15, so its checksum is
# pinned here instead and the module is fetched with GONOSUMDB; every other module is checked by sumdb.
CHAINSAW_SUM='h1:t7pVLK2EDS2wmO5QZmEtaUtZ1ZLtmS3wxGK9ftV9Sko='
CHAINSAW_GOMOD_SUM='h1:X1/klTcBfO/0XRUAY3N35JxXZJ2Vp+JWziScw1CPzbg='
GATEWAY_API_VERSION=v1.7.0 # only its config/crd/standard/*.yaml are used (its go.mod needs go 1.27)
GATEWAY_API_SUM='h1:duVnm7nO6oXfMMUWfcDoBph47CYR/ME3NGxccOVglaY='
GO_MIN_VERSION=1.26.0 # highest `go` directive among the modules built
# ---------------------------------------------------------------------------------------------------

log() { printf 'install-kube: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

cache="${EGTS_CACHE:-}"
cache="${cache#"${cache%%[![:space:]]*}"}"
cache="${cache%"${cache##*[![:space:]]}"}"
[[ -n "$cache" ]] || cache="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/egts"

kube_dir="$cache/kube-$K8S_VERSION"
etcd_dir="$cache/etcd-$ETCD_VERSION"
helm_dir="$cache/helm-$HELM_VERSION"
chainsaw_dir="$cache/chainsaw-$CHAINSAW_VERSION"
gwapi_dir="$cache/gateway-api-$GATEWAY_API_VERSION"

is_exe() { [[ -f "$1" && -x "$1" ]]; }
kube_ok() { is_exe "$kube_dir/bin/kube-apiserver" && is_exe "$kube_dir/bin/kube-controller-manager" && is_exe "$kube_dir/bin/kubectl"; }
etcd_ok() { is_exe "$etcd_dir/bin/etcd"; }
helm_ok() { is_exe "$helm_dir/bin/helm"; }
chainsaw_ok() { is_exe "$chainsaw_dir/bin/chainsaw"; }
gwapi_ok() { [[ -f "$gwapi_dir/standard/gateway.networking.k8s.io_httproutes.yaml" ]]; }
all_ok() { kube_ok && etcd_ok && helm_ok && chainsaw_ok && gwapi_ok; }

summary() {
	log "kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION: $kube_dir/bin"
	log "etcd $ETCD_VERSION: $etcd_dir/bin/etcd"
	log "helm $HELM_VERSION: $helm_dir/bin/helm"
	log "chainsaw $CHAINSAW_VERSION: $chainsaw_dir/bin/chainsaw"
	log "Gateway API $GATEWAY_API_VERSION standard CRDs: $gwapi_dir/standard"
}

if all_ok; then
	log "cache complete, nothing to do"
	summary
	exit 0
fi

# ---- prerequisites ---------------------------------------------------------------------------------
command -v go >/dev/null || die "go is not on PATH (Go >= $GO_MIN_VERSION is needed to build the Kubernetes test tools)"
go_version="$(go env GOVERSION)" # e.g. go1.26.8
go_version="${go_version#go}"
go_version="${go_version%%[!0-9.]*}"
if [[ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$go_version" | sort -V | head -n1)" != "$GO_MIN_VERSION" ]]; then
	die "Go $go_version is too old: the pinned modules need Go >= $GO_MIN_VERSION"
fi

mkdir -p "$cache"
# One installer at a time per cache (a second run waits, then finds the cache complete).
exec 9>"$cache/.install-kube.lock"
if ! flock -n 9; then
	log "another install-kube is running on $cache; waiting for it"
	flock 9
fi
if all_ok; then
	log "cache completed by another run"
	summary
	exit 0
fi

# Staging folders left by a run that was killed outright (the lock says none is running now).
rm -rf "$cache/kube-"*.tmp-* "$cache/etcd-"*.tmp-* "$cache/helm-"*.tmp-* "$cache/chainsaw-"*.tmp-* \
	"$cache/gateway-api-"*.tmp-*

work="$(mktemp -d "${TMPDIR:-/tmp}/egts-install-kube.XXXXXX")"
staging=()
cleanup() {
	local d
	for d in "${staging[@]}"; do rm -rf "$d"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The machine's toolchain only (no toolchain download), reproducible static binaries.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false"
export GO111MODULE=on
unset GOOS GOARCH GOWORK 2>/dev/null || true
GO=(nice -n 19 go)
log "using $(go version), GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE), GOPROXY=$(go env GOPROXY)"

# `go mod download -json` for one module, printing the value of one string field (Dir, GoMod, Time, ...).
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" | head -n1; }
mod_download() {
	local out
	if ! out="$("${GO[@]}" mod download -json "$1" 2>&1)" || grep -q '"Error"' <<<"$out"; then
		printf '%s\n' "$out" >&2
		die "go mod download $1 failed"
	fi
	printf '%s\n' "$out"
}

# Prints `replace M => M <version>` for every module that <go.mod> both requires and replaces with a
# local path (../x or ./x): the siblings published alongside it at <version>.
wrapper_replaces() {
	local gomod="$1" version="$2"
	awk -v v="$version" '
		/^require[[:space:]]*\(/ { inreq = 1; next }
		/^replace[[:space:]]*\(/ { inrep = 1; next }
		/^\)/ { inreq = 0; inrep = 0; next }
		inreq && NF >= 2 { req[$1] = 1; next }
		/^require[[:space:]]+[^(]/ { req[$2] = 1; next }
		inrep && $2 == "=>" && $3 ~ /^\.\.?\// { rep[$1] = 1; next }
		/^replace[[:space:]]+[^(]/ && $3 == "=>" && $4 ~ /^\.\.?\// { rep[$2] = 1; next }
		END { for (m in rep) if (m in req) printf "replace %s => %s %s\n", m, m, v }
	' "$gomod" | sort
}

# Writes a wrapper go.mod in <dir> requiring <module>@<version>, with the `go`/`godebug` lines of the
# module's own go.mod (so GODEBUG defaults match an upstream build) and the sibling replacements.
write_wrapper() {
	local dir="$1" module="$2" version="$3" gomod="$4" sibling_version="$5"
	mkdir -p "$dir"
	{
		echo "module egts.local/build/$(basename "$dir")"
		echo
		grep -E '^go [0-9]' "$gomod"
		grep -E '^godebug ' "$gomod" || true
		echo
		echo "require $module $version"
		echo
		wrapper_replaces "$gomod" "$sibling_version"
	} >"$dir/go.mod"
	log "wrapper module $dir/go.mod: requires $module $version, $(grep -c '^replace' "$dir/go.mod") sibling replacements"
}

# Renames a finished staging folder into place.
promote() {
	local from="$1" to="$2"
	rm -rf "$to"
	mv "$from" "$to"
	log "installed $to ($(du -sh "$to" | cut -f1))"
}

start_all=$SECONDS

# ---- Kubernetes: kube-apiserver, kube-controller-manager, kubectl -----------------------------------
build_kube() {
	local t=$SECONDS info gomod commit date major minor wrapper out ld pkg
	log "building kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION from k8s.io/kubernetes"
	info="$(mod_download "k8s.io/kubernetes@$K8S_VERSION")"
	gomod="$(json_field GoMod <<<"$info")"
	commit="$(json_field Hash <<<"$info")"
	date="$(json_field Time <<<"$info")"
	[[ -n "$date" ]] || date="1970-01-01T00:00:00Z"
	major="${K8S_VERSION#v}"
	major="${major%%.*}"
	minor="${K8S_VERSION#v*.}"
	minor="${minor%%.*}"
	wrapper="$work/kubernetes"
	write_wrapper "$wrapper" k8s.io/kubernetes "$K8S_VERSION" "$gomod" "$K8S_STAGING_VERSION"
	# Same -X flags as hack/lib/version.sh, so `--version` and /version report the release.
	ld="-s -w"
	for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
		ld+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
		ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
		[[ -z "$commit" ]] || ld+=" -X $pkg.gitCommit=$commit"
	done
	out="$kube_dir.tmp-$$"
	staging+=("$out")
	rm -rf "$out"
	mkdir -p "$out/bin"
	(cd "$wrapper" && "${GO[@]}" build -mod=mod -ldflags "$ld" -o "$out/bin/" \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kubectl) || die "go build of k8s.io/kubernetes $K8S_VERSION failed"
	cp "$wrapper/go.mod" "$wrapper/go.sum" "$out/"
	"$out/bin/kube-apiserver" --version >&2
	"$out/bin/kubectl" version --client >&2
	promote "$out" "$kube_dir"
	log "kubernetes tools built in $((SECONDS - t)) s"
}

# ---- etcd ---------------------------------------------------------------------------------------------
build_etcd() {
	local t=$SECONDS info gomod commit wrapper out ld
	log "building etcd $ETCD_VERSION from go.etcd.io/etcd/server/v3"
	info="$(mod_download "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
	gomod="$(json_field GoMod <<<"$info")"
	commit="$(json_field Hash <<<"$info")"
	wrapper="$work/etcd"
	write_wrapper "$wrapper" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$gomod" "$ETCD_VERSION"
	ld="-s -w"
	[[ -z "$commit" ]] || ld+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:8}"
	out="$etcd_dir.tmp-$$"
	staging+=("$out")
	rm -rf "$out"
	mkdir -p "$out/bin"
	(cd "$wrapper" && "${GO[@]}" build -mod=mod -ldflags "$ld" -o "$out/bin/etcd" go.etcd.io/etcd/server/v3) ||
		die "go build of go.etcd.io/etcd/server/v3 $ETCD_VERSION failed"
	cp "$wrapper/go.mod" "$wrapper/go.sum" "$out/"
	"$out/bin/etcd" --version >&2
	promote "$out" "$etcd_dir"
	log "etcd built in $((SECONDS - t)) s"
}

# ---- helm ---------------------------------------------------------------------------------------------
build_helm() {
	local t=$SECONDS info commit out ld p=helm.sh/helm/v4/internal/version
	log "building helm $HELM_VERSION (go install helm.sh/helm/v4/cmd/helm@$HELM_VERSION)"
	info="$(mod_download "helm.sh/helm/v4@$HELM_VERSION")"
	commit="$(json_field Hash <<<"$info")"
	ld="-s -w -X $p.version=$HELM_VERSION -X $p.metadata= -X $p.gitTreeState=clean"
	[[ -z "$commit" ]] || ld+=" -X $p.gitCommit=$commit"
	out="$helm_dir.tmp-$$"
	staging+=("$out")
	rm -rf "$out"
	mkdir -p "$out/bin"
	GOBIN="$out/bin" "${GO[@]}" install -ldflags "$ld" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" ||
		die "go install helm.sh/helm/v4/cmd/helm@$HELM_VERSION failed"
	"$out/bin/helm" version >&2
	promote "$out" "$helm_dir"
	log "helm built in $((SECONDS - t)) s"
}

# ---- chainsaw -----------------------------------------------------------------------------------------
build_chainsaw() {
	local t=$SECONDS info sum gomodsum wrapper out
	log "building chainsaw $CHAINSAW_VERSION from github.com/kyverno/chainsaw"
	# GONOSUMDB: see CHAINSAW_SUM. Not `go install ...@version`: that also reads the module's version
	# list (for deprecation notices), which the module proxy refuses for chainsaw.
	export GONOSUMDB=github.com/kyverno/chainsaw
	info="$(mod_download "github.com/kyverno/chainsaw@$CHAINSAW_VERSION")"
	sum="$(json_field Sum <<<"$info")"
	gomodsum="$(json_field GoModSum <<<"$info")"
	[[ "$sum" == "$CHAINSAW_SUM" && "$gomodsum" == "$CHAINSAW_GOMOD_SUM" ]] ||
		die "github.com/kyverno/chainsaw@$CHAINSAW_VERSION checksum mismatch: got $sum / $gomodsum, pinned $CHAINSAW_SUM / $CHAINSAW_GOMOD_SUM"
	wrapper="$work/chainsaw"
	write_wrapper "$wrapper" github.com/kyverno/chainsaw "$CHAINSAW_VERSION" "$(json_field GoMod <<<"$info")" "$CHAINSAW_VERSION"
	out="$chainsaw_dir.tmp-$$"
	staging+=("$out")
	rm -rf "$out"
	mkdir -p "$out/bin"
	(cd "$wrapper" && "${GO[@]}" build -mod=mod -o "$out/bin/chainsaw" \
		-ldflags "-s -w -X github.com/kyverno/chainsaw/pkg/version.BuildVersion=$CHAINSAW_VERSION" \
		github.com/kyverno/chainsaw) || die "go build of github.com/kyverno/chainsaw $CHAINSAW_VERSION failed"
	unset GONOSUMDB
	cp "$wrapper/go.mod" "$wrapper/go.sum" "$out/"
	"$out/bin/chainsaw" version >&2
	promote "$out" "$chainsaw_dir"
	log "chainsaw built in $((SECONDS - t)) s"
}

# ---- Gateway API CRDs -----------------------------------------------------------------------------------
install_gwapi() {
	local info zip sum out
	log "copying the Gateway API $GATEWAY_API_VERSION standard CRDs (sigs.k8s.io/gateway-api module zip)"
	# Its go.mod says a newer go than ours, so `go mod download` reports an error after fetching and
	# verifying the zip; only the zip's YAML files are used, so that error is expected here.
	info="$("${GO[@]}" mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" 2>&1 || true)"
	zip="$(json_field Zip <<<"$info")"
	sum="$(json_field Sum <<<"$info")"
	if [[ -z "$zip" || ! -f "$zip" ]]; then
		printf '%s\n' "$info" >&2
		die "go mod download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION failed"
	fi
	[[ "$sum" == "$GATEWAY_API_SUM" ]] ||
		die "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION checksum mismatch: got $sum, pinned $GATEWAY_API_SUM"
	out="$gwapi_dir.tmp-$$"
	staging+=("$out")
	rm -rf "$out"
	mkdir -p "$out/standard"
	python3 - "$zip" "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION/config/crd/standard/" "$out/standard" <<'PY'
import os, sys, zipfile
zip_path, prefix, dest = sys.argv[1:]
n = 0
with zipfile.ZipFile(zip_path) as z:
    for name in z.namelist():
        rest = name[len(prefix):] if name.startswith(prefix) else ""
        if rest.endswith(".yaml") and "/" not in rest:
            with open(os.path.join(dest, rest), "wb") as f:
                f.write(z.read(name))
            n += 1
if n == 0:
    sys.exit(f"no {prefix}*.yaml in {zip_path}")
PY
	log "$(find "$out/standard" -name '*.yaml' | wc -l) CRD files"
	promote "$out" "$gwapi_dir"
}

gwapi_ok || install_gwapi
etcd_ok || build_etcd
helm_ok || build_helm
chainsaw_ok || build_chainsaw
kube_ok || build_kube

all_ok || die "the cache is still incomplete"
log "done in $((SECONDS - start_all)) s; cache size: $(du -sch "$kube_dir" "$etcd_dir" "$helm_dir" "$chainsaw_dir" "$gwapi_dir" | tail -n1 | cut -f1)"
summary
