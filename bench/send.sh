#!/usr/bin/env bash
# Send benchmark: 10,000 confirmed subscribers, one digest of 50 stories (fetched for real from a
# feed served on loopback), Postfix's smtp-sink on 127.0.0.1 as the relay, no rate limit.
# Measures `chronicle send`: messages per second, CPU time, peak RSS; then smtp-sink's own ceiling
# in the same run with smtp-source (same message size, same number of connections, reused).
#
#   bench/send.sh                      # 10,000 readers, smtp.concurrency = 32
#   READERS=2000 CONCURRENCY=8 bench/send.sh
#   DKIM=1 bench/send.sh               # sign every message (RSA-2048)
#
# Needs Debian's postfix package for smtp-sink and smtp-source, installed WITHOUT starting Postfix:
#   echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
#   DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix
# (in a container, /usr/sbin/policy-rc.d exiting 101 keeps the service from starting). The script
# checks that nothing listens on port 25 when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

READERS=${READERS:-10000}
STORIES=${STORIES:-50}
CONCURRENCY=${CONCURRENCY:-32}
PORT=${PORT:-2526}
FEED_PORT=${FEED_PORT:-8761}
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/chronicle-send-bench.XXXXXX)
command -v smtp-sink >/dev/null || { echo "smtp-sink missing: install Debian's postfix (see above)"; exit 1; }

cargo build --release --quiet --bin chronicle
BIN=$PWD/target/release/chronicle
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# A feed of $STORIES posts (about 1.5 KB of HTML each) in the last complete ISO week.
"$PY" - "$WORK/feed.xml" "$STORIES" <<'PYEOF'
import datetime, sys
from email.utils import format_datetime
path, n = sys.argv[1], int(sys.argv[2])
today = datetime.datetime.now(datetime.timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0)
monday = today - datetime.timedelta(days=today.weekday() + 7)
para = ("<p>Chronicle benchmark paragraph with <a href=\"https://example.org/x\">a link</a>, "
        "<em>emphasis</em> and enough words to look like a real post from a real blog. </p>") * 8
items = []
for i in range(n):
    when = monday + datetime.timedelta(minutes=180 * i)
    items.append(f"""<item><title>Post number {i}: what we learnt this week</title>
<link>https://blog.example.org/posts/{i}</link><guid>https://blog.example.org/posts/{i}</guid>
<pubDate>{format_datetime(when)}</pubDate><author>author{i % 7}@example.org (Author {i % 7})</author>
<description><![CDATA[{para}]]></description></item>""")
open(path, "w").write(f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Bench blog</title><link>https://blog.example.org/</link><description>b</description>
{''.join(items)}</channel></rss>""")
PYEOF
"$PY" -m http.server "$FEED_PORT" --bind 127.0.0.1 --directory "$WORK" >/dev/null 2>&1 &
PIDS+=($!)

DKIM_CONF=""
if [ -n "${DKIM:-}" ]; then
  openssl genrsa -out "$WORK/dkim.pem" 2048 2>/dev/null
  DKIM_CONF=$'[dkim]\nselector = "bench"\ndomain = "chronicle.test"\nkey_file = "'"$WORK/dkim.pem"$'"'
fi
cat > "$WORK/config.toml" <<CONF
[database]
url = "sqlite://$WORK/chronicle.db"
[site]
base_url = "https://chronicle.test/"
[fetch]
allow_private_networks = true
[smtp]
host = "127.0.0.1"
port = $PORT
tls = "none"
concurrency = $CONCURRENCY
rate_per_second = 0
[newsletter]
from = "Bench Chronicle <digest@chronicle.test>"
$DKIM_CONF
CONF
C=(--config "$WORK/config.toml")
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$FEED_PORT) 2>/dev/null && break; sleep 0.1; done
"$BIN" "${C[@]}" feeds add --no-check "http://127.0.0.1:$FEED_PORT/feed.xml" >/dev/null
"$BIN" "${C[@]}" fetch --all >/dev/null
"$PY" - "$WORK/readers.txt" "$READERS" <<'PYEOF'
import sys
open(sys.argv[1], "w").write("\n".join(f"reader{i:05d}@example.org" for i in range(int(sys.argv[2]))))
PYEOF
xargs -n 1000 "$BIN" "${C[@]}" subscribers add < "$WORK/readers.txt" >/dev/null
STORY_COUNT=$(( $("$BIN" "${C[@]}" digest --format text | grep -c '^\[[0-9]*\] ' || true) / 2 ))  # listed, then linked

# smtp-sink: -c counts, -u drops root, backlog 1024; one message per reader expected.
SINK_USER=$(id -un); [ "$SINK_USER" = root ] && SINK_USER=nobody
smtp-sink -c -u "$SINK_USER" 127.0.0.1:$PORT 1024 >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

# measure LABEL CMD...: wall s, CPU s (user+sys) and peak RSS MB of CMD.
measure() {
  "$PY" - "$@" <<'PYEOF'
import resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode != 0:
    sys.exit(f"{label} failed ({p.returncode}): {p.stderr[-1500:]}")
print(f"{wall:.3f} {r.ru_utime + r.ru_stime:.3f} {r.ru_maxrss / 1024:.0f}")
print(p.stdout.strip().splitlines()[0] if p.stdout.strip() else "", file=sys.stderr)
PYEOF
}

SIZE=$("$BIN" "${C[@]}" send --dry-run | sed -n '/^--- the first message ---$/,$p' | tail -n +2 | wc -c)
read -r WALL CPU RSS < <(measure send "$BIN" "${C[@]}" send)
read -r SWALL SCPU _ < <(measure smtp-source smtp-source -d -s "$CONCURRENCY" -m "$READERS" \
  -l "$SIZE" -f digest@chronicle.test -t reader@example.org 127.0.0.1:$PORT)

awk -v n="$READERS" -v w="$WALL" -v c="$CPU" -v r="$RSS" -v sw="$SWALL" -v sc="$SCPU" \
    -v size="$SIZE" -v conc="$CONCURRENCY" -v stories="$STORY_COUNT" -v cores="$(nproc)" 'BEGIN {
  printf "\nset: %d readers, one digest of %d stories, %d-byte messages, smtp.concurrency = %d, %d cores\n", n, stories, size, conc, cores
  printf "%-34s %8s %9s %8s %8s\n", "run", "wall s", "msg/s", "cpu s", "rss MB"
  printf "%-34s %8.2f %9.0f %8.2f %8d\n", "chronicle send", w, n / w, c, r
  printf "%-34s %8.2f %9.0f %8.2f %8s\n", "smtp-source -> smtp-sink (ceiling)", sw, n / sw, sc, "-"
}'
if command -v ss >/dev/null && ss -ltn | awk '{print $4}' | grep -q ':25$'; then
  echo "WARNING: something listens on port 25 (Postfix itself must not run)"; exit 1
fi
echo "port 25: nothing listening"
