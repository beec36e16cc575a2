#!/usr/bin/env bash
# Fetch benchmark: a synthetic blogosphere (1,000 feeds x 20 entries, ~80 KB each, realistic HTML)
# served by a local static server with ETag support on 50 loopback hosts; measures
# `chronicle fetch --all` cold (empty database) and warm (everything 304): wall time, CPU time,
# peak RSS, entries stored. When Debian's sfeed and newsboat are installed, runs them on the same
# set in the same run and prints the ratios.
#
#   bench/fetch.sh                         # the full set
#   FEEDS=200 bench/fetch.sh               # a smaller one
#   PEERS=0 bench/fetch.sh                 # Chronicle only
set -euo pipefail
cd "$(dirname "$0")/.."

FEEDS=${FEEDS:-1000}
ENTRIES=${ENTRIES:-20}
HOSTS=${HOSTS:-50}
PORT=${PORT:-8750}
WORK=$(mktemp -d /tmp/chronicle-bench.XXXXXX)
PY=$(command -v python3)

cargo build --release --quiet --bin chronicle --example blogosphere --example static_server
BIN=$PWD/target/release/chronicle
target/release/examples/blogosphere "$WORK" "$FEEDS" "$ENTRIES" "$HOSTS" "$PORT"
target/release/examples/static_server "$WORK" "$HOSTS" "$PORT" >/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.$HOSTS/$PORT) 2>/dev/null && break
  sleep 0.1
done

cat > "$WORK/config.toml" <<CONF
[database]
url = "sqlite://$WORK/chronicle.db"
[fetch]
allow_private_networks = true
CONF

# run LABEL CMD...: wall s, CPU s (user+sys), peak RSS MB of CMD and its children.
run() {
  local label=$1; shift
  "$PY" - "$label" "$@" <<'PYEOF'
import resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode != 0:
    sys.stderr.write(p.stderr[-2000:])
    sys.exit(f"{label} failed with exit code {p.returncode}")
print(f"{label}\t{wall:.3f}\t{r.ru_utime + r.ru_stime:.3f}\t{r.ru_maxrss / 1024:.0f}\t{p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ''}")
PYEOF
}

"$BIN" --config "$WORK/config.toml" feeds import "$WORK/feeds.opml" >/dev/null
XML_MB=$(du -sm "$WORK/feeds" | cut -f1)
echo
echo "set: $FEEDS feeds x $ENTRIES entries, $XML_MB MB of XML, $HOSTS hosts, $(nproc) cores"
printf '%-22s %8s %8s %9s  %s\n' "run" "wall s" "cpu s" "rss MB" "result"
results=$(mktemp)
{
  run "chronicle cold" "$BIN" --config "$WORK/config.toml" fetch --all
  run "chronicle warm" "$BIN" --config "$WORK/config.toml" fetch --all
} | tee -a "$results" | awk -F'\t' '{printf "%-22s %8s %8s %9s  %s\n", $1, $2, $3, $4, $5}'
ENTRIES_STORED=$(sqlite3 "$WORK/chronicle.db" "SELECT COUNT(*) FROM entries" 2>/dev/null || "$BIN" --config "$WORK/config.toml" entries list | wc -l)
echo "entries stored: $ENTRIES_STORED"

if [ "${PEERS:-1}" != 0 ] && command -v sfeed_update >/dev/null && command -v curl >/dev/null; then
  mkdir -p "$WORK/sfeed"
  { echo "sfeedpath=\"$WORK/sfeed\""; echo "maxjobs=16"; cat "$WORK/sfeedrc"; } > "$WORK/sfeedrc.full"
  {
    run "sfeed_update cold" sfeed_update "$WORK/sfeedrc.full"
    run "sfeed_update warm" sfeed_update "$WORK/sfeedrc.full"
  } | tee -a "$results" | awk -F'\t' '{printf "%-22s %8s %8s %9s\n", $1, $2, $3, $4}'
fi
if [ "${PEERS:-1}" != 0 ] && command -v newsboat >/dev/null; then
  printf 'reload-threads 16\n' > "$WORK/newsboat.conf"
  {
    run "newsboat cold" env HOME="$WORK" newsboat -C "$WORK/newsboat.conf" -u "$WORK/urls" -c "$WORK/newsboat.db" -x reload
    run "newsboat warm" env HOME="$WORK" newsboat -C "$WORK/newsboat.conf" -u "$WORK/urls" -c "$WORK/newsboat.db" -x reload
  } | tee -a "$results" | awk -F'\t' '{printf "%-22s %8s %8s %9s\n", $1, $2, $3, $4}'
fi

awk -F'\t' '
  { wall[$1] = $2 }
  END {
    printf "\ntargets: cold <= 1.5 s, warm <= 0.3 s, peak RSS <= 150 MB\n"
    for (other in wall) {
      split(other, w, " "); tool = w[1]; phase = w[2]
      if (tool != "chronicle" && wall["chronicle " phase] > 0)
        printf "%s %s is %.1fx slower than chronicle %s\n", tool, phase, wall[other] / wall["chronicle " phase], phase
    }
  }' "$results"
rm -f "$results"
