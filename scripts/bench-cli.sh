#!/usr/bin/env bash
# Export and import rate of the `opencloud` CLI against the emulator (in memory, throttling off),
# and the peak memory (max RSS) of each command, for N entries.
#
#   scripts/bench-cli.sh 10000 100000
#
# With THROTTLED=R (requests per minute), instead: the share of that budget a throttled import of
# 3R entries uses, the emulator enforcing R writes per minute and the CLI taking the budget the
# emulator announces. The first R writes go at once, so the ideal is 2 minutes.
#
# Needs GNU time (/usr/bin/time, Debian package `time`). Talks only to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p opencloud-cli -p opencloud-emulator
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
trap 'kill "$em_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ -n "${THROTTLED:-}" ]; then
  "$bin/opencloud-emulator" --listen 127.0.0.1:0 --requests-per-minute "$THROTTLED" > "$work/em.out" 2>/dev/null &
else
  "$bin/opencloud-emulator" --listen 127.0.0.1:0 --throttle off > "$work/em.out" 2>/dev/null &
fi
em_pid=$!
for _ in $(seq 50); do grep -q listening "$work/em.out" && break; sleep 0.1; done
export OPENCLOUD_BASE_URL=$(sed -n 's/^listening on //p' "$work/em.out")
export OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_UNIVERSE_ID=1 OPENCLOUD_JOURNAL_DIR="$work/journals"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2> "$work/err" || { cat "$work/err"; exit 1; }
  read -r secs kib < "$work/time"
  echo "$label $secs $kib"
}

seed() { # n, file
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "{\"scope\":\"global\",\"key\":\"user_%07d\",\"value\":{\"coins\":%d,\"items\":[\"sword\",\"shield\"],\"level\":%d},\"users\":[\"users/%d\"]}\n", i, i * 7 % 1000, i % 60, i }' > "$2"
}

if [ -n "${THROTTLED:-}" ]; then
  n=$((THROTTLED * 3))
  seed "$n" "$work/seed.jsonl"
  start=$(date +%s.%N)
  "$bin/opencloud" import --data-store Throttled --ignore-trailer --concurrency 16 "$work/seed.jsonl" 2> "$work/err" || { cat "$work/err"; exit 1; }
  end=$(date +%s.%N)
  secs=$(echo "$end - $start" | bc -l)
  throttled=$(curl -s "$OPENCLOUD_BASE_URL/_emulator/requests" | { grep -o '"status":429' || true; } | wc -l)
  printf "| %d writes/min | %d entries | %.1f s | ideal 120 s | share of the budget used %.1f%% | 429s %d |\n" \
    "$THROTTLED" "$n" "$secs" "$(echo "12000 / $secs" | bc -l)" "$throttled"
  tail -n 1 "$work/err"
  exit 0
fi

echo "| entries | command | seconds | entries/s | peak memory (MiB) |"
echo "|---|---|---|---|---|"
for n in "$@"; do
  seed="$work/seed-$n.jsonl"
  seed "$n" "$seed"
  read -r _ secs kib < <(measure import "$bin/opencloud" -q --rate-limit off import --data-store "Bench$n" --ignore-trailer --concurrency 16 "$seed")
  printf "| %d | import | %.2f | %.0f | %.1f |\n" "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
  read -r _ secs kib < <(measure export "$bin/opencloud" -q --rate-limit off export --data-store "Bench$n" --concurrency 16 -f "$work/out-$n.jsonl")
  printf "| %d | export | %.2f | %.0f | %.1f |\n" "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
  test "$(wc -l < "$work/out-$n.jsonl")" -eq "$((n + 1))" || { echo "export lost entries" >&2; exit 1; }
done
