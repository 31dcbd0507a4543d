#!/usr/bin/env bash
# Figures for the console's project search at scale (issue 24, item 5), not a test:
# BACKUPS backups (default 41, what the default retention keeps of one library) of a library of
# PROJECTS projects (default 5,000) are written as manifests (and empty .sql.gz files) into a
# throwaway BACKUP_DIR, the way a backup pass writes them; the agent's `run` serves the console
# on them (no primary is needed: the search reads the manifests only), and each query below is
# asked RUNS times (default 3) with curl: its seconds (first = cold: the agent's first search)
# and the page's bytes, then the agent's peak RSS (VmHWM).
#
# The projects are "Spot NNNN – Client CC" in /Clients/Client CC, each saved at times that vary
# between backups; a few projects come and go; the newest backup also holds one named "spot".
#   spot            every project (BACKUPS × PROJECTS + 1 rows before grouping)
#   client 1        a common substring (about a tenth of them)
#   spot 4321       a rare one (one project)
#   no such thing   no match
#
# Usage: BIN=.build/debug/backup-agent [BACKUPS=41] [PROJECTS=5000] [RUNS=3] bash bench/search_scale.sh
# BIN defaults to .build/debug/backup-agent; set it to a release build (swift build -c release)
# for production figures. TMPDIR chooses where the throwaway folder goes. Cleans up after itself.
set -euo pipefail

BACKUPS=${BACKUPS:-41}
PROJECTS=${PROJECTS:-5000}
RUNS=${RUNS:-3}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug/backup-agent}
[ -x "$BIN" ] || { echo "build first: swift build (or set BIN)"; exit 1; }

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/laterbase-bench-search-XXXXXX")
AGENT_PID=
cleanup() {
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null || true
  rm -rf "$ROOT"
}
trap cleanup EXIT

started=$(date +%s.%N)
python3 - "$ROOT/backups" "$BACKUPS" "$PROJECTS" <<'PY'
import datetime, gzip, json, os, random, sys
root, backups, projects = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
library = "Resolve_Main"
os.makedirs(f"{root}/{library}")
rng = random.Random(24)
now = datetime.datetime(2026, 11, 24, 15, 0, 0, tzinfo=datetime.timezone.utc)
# What the default retention keeps: 24 hourly, then daily, weekly, monthly points.
times = [now - datetime.timedelta(hours=h) for h in range(24)]
times += [now - datetime.timedelta(days=d) for d in range(1, 8)]
times += [now - datetime.timedelta(weeks=w) for w in range(2, 6)]
times += [now - datetime.timedelta(days=30 * m) for m in range(2, 8)]
while len(times) < backups:
    times.append(times[-1] - datetime.timedelta(days=30))
times = sorted(times[:backups])
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
names = [(f"Spot {i:04d} – Client {i % 97:02d}", f"Clients/Client {i % 97:02d}") for i in range(projects)]
for index, taken in enumerate(times):
    stamp = taken.strftime("%Y%m%d_%H%M%S")
    name = f"{library}_backup_{stamp}"
    with gzip.open(f"{root}/{library}/{name}.sql.gz", "wb") as f:
        f.write(b"-- synthetic\n")
    # 1 % of the projects come and go between backups; the newest also holds "spot".
    present = [p for i, p in enumerate(names) if (i + index) % 100 != 0 or index == len(times) - 1]
    listed = [{"name": n, "folder": d, "lastModified": iso(taken - datetime.timedelta(minutes=rng.randrange(1, 60 * 24 * 30)))} for n, d in present]
    if index == len(times) - 1:
        listed.append({"name": "spot", "folder": "", "lastModified": iso(taken)})
    listed.sort(key=lambda p: (p["folder"], p["name"]))
    manifest = {
        "formatVersion": 1, "database": library, "file": name + ".sql.gz", "serverVersion": "15.8", "pgDumpVersion": "15.8",
        "startedAt": iso(taken), "finishedAt": iso(taken), "rawBytes": 1, "compressedBytes": 1, "sha256": "0" * 64,
        "contentFingerprint": f"{index}", "sourceHost": "127.0.0.1", "sourcePort": 5432,
        "compression": {"format": "gzip", "level": 6, "strategy": "adaptive", "blockSize": 1048576},
        "resolve": {"schemaVersion": "18.6", "projects": listed},
    }
    with open(f"{root}/{library}/{name}.json", "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True, ensure_ascii=False)
PY
echo "synthesized $BACKUPS backups × $PROJECTS projects ($(du -sh "$ROOT/backups" | cut -f1) of manifests) in $(printf '%.1f' "$(echo "$(date +%s.%N) - $started" | bc)") s"

PASSWORD="bench-$(date +%s)-pw"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i PATH="$PATH" HOME="$ROOT" TZ=UTC BACKUP_DIR="$ROOT/backups" PRIMARY_HOST=127.0.0.1 PRIMARY_PORT="$DEAD" \
    PRIMARY_USER=postgres REPL_PASSWORD=unused PRIMARY_SSLMODE=disable BACKUP_ON_START=false BACKUP_SCHEDULE="0 0 1 1 *" \
    WAL_ARCHIVE=off CONSOLE=on CONSOLE_ADDRESS=127.0.0.1 CONSOLE_PORT="$PORT" CONSOLE_PASSWORD="$PASSWORD" LOG_LEVEL=warning \
    "$BIN" run > "$ROOT/agent.log" 2>&1 & AGENT_PID=$!
for _ in $(seq 1 120); do
  curl -s -o /dev/null -u "laterbase:$PASSWORD" "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.5
done
curl -s -o /dev/null -u "laterbase:$PASSWORD" "http://127.0.0.1:$PORT/healthz" || { echo "the console did not start:"; cat "$ROOT/agent.log"; exit 1; }
rss() { awk -v key="$1:" '$1 == key { printf "%.0f MB", $2 / 1024 }' "/proc/$AGENT_PID/status"; }
echo "agent started: RSS $(rss VmRSS)"

printf '%-16s %-34s %-12s %s\n' query "seconds (run 1 … $RUNS)" "page bytes" "projects shown / summary"
for query in "spot" "client 1" "spot 4321" "no such thing"; do
  encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$query")
  seconds=()
  for _ in $(seq 1 "$RUNS"); do
    seconds+=("$(curl -s -o "$ROOT/page.html" -w '%{time_total}' --max-time 300 -u "laterbase:$PASSWORD" "http://127.0.0.1:$PORT/search?project=$encoded")")
  done
  bytes=$(wc -c < "$ROOT/page.html")
  rows=$(grep -c 'Restore this backup' "$ROOT/page.html" || true)
  summary=$(grep -o '<p[^>]*>[^<]*\(match\|hold\)[^<]*</p>' "$ROOT/page.html" | head -2 | sed 's/<[^>]*>//g' | tr '\n' ' ' || true)
  printf '%-16s %-34s %-12s %s\n' "$query" "${seconds[*]}" "$bytes" "$rows restore links; $summary"
done
curl -s -o "$ROOT/page2.html" -w 'spot, page 2: %{time_total} s, %{size_download} bytes\n' --max-time 300 -u "laterbase:$PASSWORD" "http://127.0.0.1:$PORT/search?project=spot&page=2"
echo "agent peak RSS (VmHWM): $(rss VmHWM), now $(rss VmRSS)"
