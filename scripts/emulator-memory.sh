#!/usr/bin/env bash
# Resident memory of the in-memory emulator as it fills: after start, after N entries (one
# revision each), and after a second revision of each. Prints bytes per entry and per revision.
#
#   scripts/emulator-memory.sh 100000
#
# Talks only to 127.0.0.1. Linux only (reads /proc/PID/status).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
cargo build --release -q -p opencloud-cli -p opencloud-emulator
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
trap 'kill "$em_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/opencloud-emulator" --listen 127.0.0.1:0 --throttle off > "$work/em.out" 2>/dev/null &
em_pid=$!
for _ in $(seq 50); do grep -q listening "$work/em.out" && break; sleep 0.1; done
export OPENCLOUD_BASE_URL=$(sed -n 's/^listening on //p' "$work/em.out")
export OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_UNIVERSE_ID=1 OPENCLOUD_JOURNAL_DIR="$work/journals"

rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$em_pid/status"; }
seed() { # n, revision
  awk -v n="$1" -v r="$2" 'BEGIN { for (i = 0; i < n; i++) printf "{\"scope\":\"global\",\"key\":\"user_%07d\",\"value\":{\"coins\":%d,\"items\":[\"sword\",\"shield\"],\"level\":%d,\"rev\":%d},\"users\":[\"users/%d\"]}\n", i, i * 7 % 1000, i % 60, r, i }' > "$work/seed.jsonl"
}

start=$(rss)
seed "$n" 1
"$bin/opencloud" -q --rate-limit off import --data-store Mem --ignore-trailer --concurrency 16 "$work/seed.jsonl"
one=$(rss)
seed "$n" 2
"$bin/opencloud" -q --rate-limit off import --data-store Mem --ignore-trailer --concurrency 16 "$work/seed.jsonl"
two=$(rss)
echo "| entries | RSS at start | after one revision each | after two | bytes per entry (first revision) | bytes per further revision |"
echo "|---|---|---|---|---|---|"
printf "| %d | %.1f MiB | %.1f MiB | %.1f MiB | %.0f | %.0f |\n" "$n" \
  "$(echo "$start / 1048576" | bc -l)" "$(echo "$one / 1048576" | bc -l)" "$(echo "$two / 1048576" | bc -l)" \
  "$(echo "($one - $start) / $n" | bc -l)" "$(echo "($two - $one) / $n" | bc -l)"
