#!/usr/bin/env bash
# Installs Apache's `htpasswd` (Debian's apache2-utils package), the tool the basic auth tests make their users
# files with, as Envoy Gateway's basic auth task does (`htpasswd -cbs`): SHA-1 lines for the users Envoy accepts,
# bcrypt (-B) and MD5 (-m) lines for the ones Envoy Gateway refuses.
#
#   htpasswd on PATH
#
# A machine that already has it makes this a quick no-op.
#
# Usage: bash scripts/install-htpasswd.sh
set -euo pipefail

log() { printf 'install-htpasswd: %s\n' "$*" >&2; }

if ! command -v htpasswd >/dev/null; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
	log "installing apache2-utils with apt-get"
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends apache2-utils
fi
log "htpasswd: $(command -v htpasswd)"
