#!/usr/bin/env bash
# Drives the emulator with clients that this project did not write, unchanged but for the base
# URL, and prints what works. Not part of CI: it installs the clients from their registries.
#
#   scripts/check-third-party.sh
#
# Clients, pinned below: `rblx-open-cloud` (Python, PyPI) and `openblox` (TypeScript, npm).
# Needs python3 with venv and pip, and node 18+ with npm. Talks only to 127.0.0.1 (and to the
# registries to install).
set -euo pipefail
cd "$(dirname "$0")/.."
RBLX_OPEN_CLOUD_VERSION=${RBLX_OPEN_CLOUD_VERSION:-2.3.0}
OPENBLOX_VERSION=${OPENBLOX_VERSION:-1.0.62}
cargo build -q -p opencloud-emulator
bin=${CARGO_TARGET_DIR:-target}/debug
work=$(mktemp -d)
trap 'kill "$em_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "rblx-open-cloud==$RBLX_OPEN_CLOUD_VERSION"
mkdir -p "$work/node"
(cd "$work/node" && npm init -y > /dev/null && npm install -s "openblox@$OPENBLOX_VERSION" > /dev/null)

em_pid=
start_emulator() { # a fresh emulator for each client
  [ -n "$em_pid" ] && kill "$em_pid" 2>/dev/null || true
  "$bin/opencloud-emulator" --listen 127.0.0.1:0 --throttle off > "$work/em.out" 2>&1 &
  em_pid=$!
  for _ in $(seq 50); do grep -q listening "$work/em.out" && break; sleep 0.1; done
  base=$(sed -n 's/^listening on //p' "$work/em.out")
}

status=0
start_emulator
echo "== rblx-open-cloud $RBLX_OPEN_CLOUD_VERSION"
"$work/venv/bin/python" scripts/third-party/rblx_open_cloud.py "$base" opencloud-emulator-dev-key || status=1
start_emulator
echo "== openblox $OPENBLOX_VERSION"
node scripts/third-party/openblox.mjs "$base" opencloud-emulator-dev-key "$work/node" || status=1
exit $status
