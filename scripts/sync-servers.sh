#!/usr/bin/env bash
# Installs the sync servers the tests in tests/sync_fever.rs start: coldsweat 0.10.2 (a Fever
# server, from PyPI) into a virtualenv under target/sync-servers/. Idempotent: a second run
# only checks. Needs python3 with venv; as root on Debian it installs them with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/sync-servers
venv="$dir/venv"
want=0.10.2
if [ -x "$venv/bin/coldsweat" ] && "$venv/bin/python" -m pip show coldsweat 2>/dev/null | grep -qx "Version: $want"; then
    echo "coldsweat $want already installed in $venv"
    exit 0
fi
mkdir -p "$dir"
rm -rf "$venv"
if ! python3 -m venv "$venv" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "python3 venv missing: installing python3-venv with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
        rm -rf "$venv"
        python3 -m venv "$venv"
    else
        echo "python3 -m venv failed: install python3 and python3-venv, then run this again" >&2
        exit 1
    fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "coldsweat==$want"
echo "coldsweat $want installed: $venv/bin/coldsweat (the tests find it there, or set TIDINGS_COLDSWEAT)"
