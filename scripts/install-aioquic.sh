#!/usr/bin/env bash
# Installs aioquic, the QUIC / HTTP/3 client of the HTTP/3 traffic test
# (test/standalone/client-traffic-policy-http3.test.ts, through test/support/h3-get.py), into the egts cache:
#
#   $EGTS_CACHE/aioquic-<AIOQUIC_VERSION>/    (a pip --target folder: put it on PYTHONPATH)
#
# EGTS_CACHE defaults to ~/.cache/egts (as in operator/src/config/env.ts). pip installs into a temporary
# sibling that is renamed into place when complete, so an interrupted install never leaves a half folder;
# a complete folder makes this a quick no-op. Delete it to reinstall. The version is also pinned in
# test/support/h3-client.ts: change both together.
#
# Usage: bash scripts/install-aioquic.sh
set -euo pipefail

AIOQUIC_VERSION=1.7.2

CACHE="${EGTS_CACHE:-$HOME/.cache/egts}"
DEST="$CACHE/aioquic-$AIOQUIC_VERSION"
log() { printf 'install-aioquic: %s\n' "$*" >&2; }

if [ -d "$DEST/aioquic-$AIOQUIC_VERSION.dist-info" ]; then
  log "aioquic $AIOQUIC_VERSION already in $DEST"
  exit 0
fi

command -v python3 >/dev/null || { log "python3 is missing (the HTTP/3 test runs aioquic with it)"; exit 1; }
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.aioquic-$AIOQUIC_VERSION.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log "installing aioquic $AIOQUIC_VERSION into $DEST"
python3 -m pip install --quiet --disable-pip-version-check --no-input --target "$TMP" "aioquic==$AIOQUIC_VERSION"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
log "done: PYTHONPATH=$DEST"
