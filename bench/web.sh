#!/usr/bin/env bash
# Web benchmark: the site of a 1,000-feed database under wrk (Debian package wrk), on loopback.
# Builds the synthetic blogosphere (examples/blogosphere.rs), fetches it, sends the 2026-W46
# digest (to no one: it is frozen and published), starts `chronicle serve`, then runs wrk for
# DURATION on `/` and on `/digests/2026-W46` and prints requests/s and p99 latency.
#
#   bench/web.sh                        # 1,000 feeds x 10 entries, 10 s per page
#   FEEDS=200 DURATION=5s bench/web.sh  # smaller and shorter
set -euo pipefail
cd "$(dirname "$0")/.."

FEEDS=${FEEDS:-1000}
ENTRIES=${ENTRIES:-10}
HOSTS=${HOSTS:-50}
PORT=${PORT:-8751}
WEB_PORT=${WEB_PORT:-8752}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WORK=$(mktemp -d /tmp/chronicle-web-bench.XXXXXX)

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin chronicle --example blogosphere --example static_server
BIN=$PWD/target/release/chronicle
target/release/examples/blogosphere "$WORK" "$FEEDS" "$ENTRIES" "$HOSTS" "$PORT"
target/release/examples/static_server "$WORK" "$HOSTS" "$PORT" >/dev/null &
FEED_SERVER=$!
SITE=""
trap 'kill $FEED_SERVER $SITE 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.$HOSTS/$PORT) 2>/dev/null && break
  sleep 0.1
done

cat > "$WORK/config.toml" <<CONF
[database]
url = "sqlite://$WORK/chronicle.db"
[web]
bind = "127.0.0.1:$WEB_PORT"
[fetch]
allow_private_networks = true
[schedule]
# Never during the run: the benchmark measures serving, not fetching.
fetch = "0 0 1 1 *"
digest = "0 0 1 1 *"
send = "0 0 1 1 *"
CONF
C=(--config "$WORK/config.toml")
"$BIN" "${C[@]}" feeds import "$WORK/feeds.opml" >/dev/null
"$BIN" "${C[@]}" fetch --all | tail -1
"$BIN" "${C[@]}" send --week 2026-W46 | tail -1

"$BIN" "${C[@]}" serve 2>"$WORK/serve.log" &
SITE=$!
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$WEB_PORT) 2>/dev/null && break
  sleep 0.1
done

echo
echo "site of $FEEDS feeds x $ENTRIES entries; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; $(nproc) cores shared by server and wrk"
printf '%-22s %12s %10s %10s %9s %11s\n' "page" "requests/s" "p50" "p99" "KB/page" "render ms"
for path in / /digests/2026-W46; do
  url="http://127.0.0.1:$WEB_PORT$path"
  # The first request renders the page (and fills the cache); the rest are served from memory.
  render=$(curl -s -o /dev/null -w '%{time_total}' "$url")
  size=$(curl -s "$url" | wc -c)
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
  printf '%-22s %12s %10s %10s %9s %11.1f\n' "$path" "$rps" "$p50" "$p99" "$((size / 1024))" "$(awk -v t="$render" 'BEGIN {print t * 1000}')"
  [ -z "$errors" ] || echo "  $errors"
done
echo "target: >= 10,000 requests/s for each page"
