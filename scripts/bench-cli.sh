#!/usr/bin/env bash
# Export and import rate of the `opencloud` CLI against the emulator (in memory, throttling off),
# and the peak memory (max RSS) of each command, for N entries.
#
#   scripts/bench-cli.sh 10000 100000
#
# Needs GNU time (/usr/bin/time, Debian package `time`). Talks only to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p opencloud-cli -p opencloud-emulator
bin=target/release
work=$(mktemp -d)
trap 'kill "$em_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/opencloud-emulator" --listen 127.0.0.1:0 --throttle off > "$work/em.out" 2>/dev/null &
em_pid=$!
for _ in $(seq 50); do grep -q listening "$work/em.out" && break; sleep 0.1; done
export OPENCLOUD_BASE_URL=$(sed -n 's/^listening on //p' "$work/em.out")
export OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_UNIVERSE_ID=1

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2> "$work/err" || { cat "$work/err"; exit 1; }
  read -r secs kib < "$work/time"
  echo "$label $secs $kib"
}

echo "| entries | command | seconds | entries/s | peak memory (MiB) |"
echo "|---|---|---|---|---|"
for n in "$@"; do
  seed="$work/seed-$n.jsonl"
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"scope\":\"global\",\"key\":\"user_%07d\",\"value\":{\"coins\":%d,\"items\":[\"sword\",\"shield\"],\"level\":%d},\"users\":[\"users/%d\"]}\n", i, i * 7 % 1000, i % 60, i }' > "$seed"
  read -r _ secs kib < <(measure import "$bin/opencloud" -q import --data-store "Bench$n" --concurrency 16 "$seed")
  printf "| %d | import | %.2f | %.0f | %.1f |\n" "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
  read -r _ secs kib < <(measure export "$bin/opencloud" -q export --data-store "Bench$n" --concurrency 16 -f "$work/out-$n.jsonl")
  printf "| %d | export | %.2f | %.0f | %.1f |\n" "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
  test "$(wc -l < "$work/out-$n.jsonl")" -eq "$n" || { echo "export lost entries" >&2; exit 1; }
done
