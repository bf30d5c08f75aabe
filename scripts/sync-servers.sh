#!/usr/bin/env bash
# Installs the sync servers the tests in tests/sync_fever.rs start: coldsweat (a Fever server)
# into a virtualenv under target/sync-servers/. Idempotent: a second run only checks.
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
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "coldsweat==$want"
echo "coldsweat $want installed: $venv/bin/coldsweat (the tests find it there, or set TIDINGS_COLDSWEAT)"
