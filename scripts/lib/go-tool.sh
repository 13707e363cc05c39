# Shared steps of the scripts/install-<tool>.sh scripts that build a test or benchmark peer from Go source into
# the cache, sourced by them (not run):
#
#   $EGTS_CACHE/<tool>-<version>/bin/<binaries>
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). A tool is built in a temporary sibling
# folder that is renamed into place when complete, so an interrupted build never leaves a half folder; a complete
# folder makes the script a quick no-op. Delete the folder to rebuild.
#
#   go_tool_setup <tool> <version>       sets CACHE and DEST; log/die then prefix messages with install-<tool>
#   go_tool_present <binary>...          exits the script (0) when every binary is already in $DEST/bin
#   go_tool_build <needs> <function>     checks that go is on PATH (<needs> says what for), runs <function> with
#                                        the temporary bin folder as $1 at low priority, renames it into place

go_tool_setup() {
	GO_TOOL_NAME=$1
	GO_TOOL_VERSION=$2
	CACHE="${EGTS_CACHE:-$HOME/.cache/egts}"
	DEST="$CACHE/$GO_TOOL_NAME-$GO_TOOL_VERSION"
}

log() { printf 'install-%s: %s\n' "$GO_TOOL_NAME" "$*" >&2; }

die() {
	log "error: $*"
	exit 1
}

go_tool_present() {
	local binary
	for binary in "$@"; do
		[ -x "$DEST/bin/$binary" ] || return 0
	done
	log "$* $GO_TOOL_VERSION already in $DEST/bin"
	exit 0
}

go_tool_build() {
	local needs=$1 build=$2 start
	command -v go >/dev/null || die "go is not on PATH ($needs)"
	mkdir -p "$CACHE"
	GO_TOOL_TMP="$(mktemp -d "$CACHE/.$GO_TOOL_NAME-$GO_TOOL_VERSION.XXXXXX")"
	trap 'rm -rf "$GO_TOOL_TMP"' EXIT
	log "building $GO_TOOL_NAME $GO_TOOL_VERSION into $DEST"
	start=$(date +%s)
	mkdir -p "$GO_TOOL_TMP/bin"
	export CGO_ENABLED=0
	"$build" "$GO_TOOL_TMP/bin"
	rm -rf "$DEST"
	mv "$GO_TOOL_TMP" "$DEST"
	trap - EXIT
	log "done in $(($(date +%s) - start)) s: $(ls "$DEST/bin" | sed "s|^|$DEST/bin/|" | tr '\n' ' ')"
}
