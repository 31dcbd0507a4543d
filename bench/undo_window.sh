#!/usr/bin/env bash
# Figures for the undo window (issue 11), not a test:
#   1. WAL archive bytes per idle minute and per minute of pgbench load
#   2. RPO under pgbench load: now − the receiver's confirmed position (wal-receiver.json), p50/p99/max
#   3. restore --db --at --as  vs  restore FILE --as of the library's dump taken after the load,
#      both beside the running agent (its receiver streams the WAL both restores write),
#      PAIRS times (default 3) in alternating order, each pair's ratio and the median printed
# on a throwaway primary on 127.0.0.1 holding a pgbench library (SCALE=25 ≈ 400 MB).
#
# BASE_BACKUP_AFTER_WAL (the agent's setting, default auto here as in production): with auto, the
# load's WAL (more than the library holds data) makes the agent take a base backup during the
# load, and restore --at replays from it; =off measures replay of all the load's WAL.
#
# OTHER_SCALE=S adds a second library "other" (pgbench -i -s S, idle during the load) beside it,
# as on a facility's server with several libraries: restore --at unpacks only the one it restores.
#
# Usage: BIN=.build/debug/backup-agent SCALE=25 LOAD_SECONDS=60 [OTHER_SCALE=25] [PAIRS=3] [BASE_BACKUP_AFTER_WAL=off] bash bench/undo_window.sh
# Runs as root (servers as the postgres account) or as an ordinary user. Cleans up after itself.
set -euo pipefail

SCALE=${SCALE:-25}
OTHER_SCALE=${OTHER_SCALE:-0}
LOAD_SECONDS=${LOAD_SECONDS:-60}
IDLE_SECONDS=${IDLE_SECONDS:-60}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug/backup-agent}
PGBIN=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$BIN" ] || { echo "build first: swift build (or set BIN)"; exit 1; }

ROOT=$(mktemp -d /tmp/laterbase-bench-undo-XXXXXX)
chmod 755 "$ROOT"
AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$ROOT"
  AS=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
fi
PASSWORD="bench-$(date +%s)-pw"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PGPASSFILE="$ROOT/pgpass"
echo "127.0.0.1:*:*:postgres:$PASSWORD" > "$PGPASSFILE"; chmod 600 "$PGPASSFILE"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGPASSFILE"
AGENT_PID=
cleanup() {
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null || true
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$ROOT/primary" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$ROOT"
}
trap cleanup EXIT

echo "$PASSWORD" > "$ROOT/pw"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$ROOT/pw"
"${AS[@]}" "$PGBIN/initdb" -D "$ROOT/primary" -U postgres --pwfile="$ROOT/pw" --auth=scram-sha-256 -E UTF8 --locale=C >/dev/null
cat >> "$ROOT/primary/postgresql.auto.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ROOT'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
CONF
echo "host all all 127.0.0.1/32 scram-sha-256" >> "$ROOT/primary/pg_hba.conf"
echo "host replication all 127.0.0.1/32 scram-sha-256" >> "$ROOT/primary/pg_hba.conf"
"${AS[@]}" "$PGBIN/pg_ctl" -D "$ROOT/primary" -l "$ROOT/primary.log" -w start >/dev/null
PSQL=("$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE lib" >/dev/null
t=$(date +%s.%N); "$PGBIN/pgbench" -q -i -s "$SCALE" -h 127.0.0.1 -p "$PORT" -U postgres lib >/dev/null 2>&1
echo "library: $("${PSQL[@]}" -d lib -Atc "SELECT pg_size_pretty(pg_database_size('lib'))") (pgbench -i -s $SCALE, $(python3 -c "print(round($(date +%s.%N)-$t,1))") s)"
if [ "$OTHER_SCALE" != 0 ]; then
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE other" >/dev/null
  "$PGBIN/pgbench" -q -i -s "$OTHER_SCALE" -h 127.0.0.1 -p "$PORT" -U postgres other >/dev/null 2>&1
  echo "other library: $("${PSQL[@]}" -d other -Atc "SELECT pg_size_pretty(pg_database_size('other'))") (pgbench -i -s $OTHER_SCALE, idle)"
fi

BACKUPS="$ROOT/backups"; mkdir -p "$BACKUPS"; chmod 755 "$BACKUPS"
export PRIMARY_HOST=127.0.0.1 PRIMARY_PORT=$PORT PRIMARY_USER=postgres REPL_PASSWORD=$PASSWORD PRIMARY_SSLMODE=disable \
  BACKUP_DIR=$BACKUPS TZ=UTC WAL_ARCHIVE=on BACKUP_ON_START=false BACKUP_SCHEDULE="0 0 1 1 *" PRIMARY_DBS=lib LOG_LEVEL=info \
  BASE_BACKUP_AFTER_WAL=${BASE_BACKUP_AFTER_WAL:-auto}
t=$(date +%s.%N)
"$BIN" run > "$ROOT/agent.log" 2>&1 & AGENT_PID=$!
until ls "$BACKUPS"/.base/*/laterbase-base.json >/dev/null 2>&1 && grep -q '"streaming"' "$BACKUPS/.laterbase/wal-receiver.json" 2>/dev/null; do sleep 0.5; done
echo "first base backup + streaming: $(python3 -c "print(round($(date +%s.%N)-$t,1))") s, base backup $(du -sh "$BACKUPS/.base" | cut -f1)"

lsn() { "${PSQL[@]}" -d postgres -Atc "SELECT pg_current_wal_lsn()"; }
diffb() { "${PSQL[@]}" -d postgres -Atc "SELECT pg_wal_lsn_diff('$2', '$1')::bigint"; }
a=$(lsn); files_a=$(ls "$BACKUPS/.wal" | grep -c . || true); sleep "$IDLE_SECONDS"; b=$(lsn); files_b=$(ls "$BACKUPS/.wal" | grep -c . || true)
echo "idle ${IDLE_SECONDS} s: $(diffb "$a" "$b") bytes of WAL, WAL files $files_a -> $files_b (each 16 MB on disk)"

rpo() { python3 - "$BACKUPS/.laterbase/wal-receiver.json" <<'PY'
import json, sys, datetime
s = json.load(open(sys.argv[1]))
u = s.get("streamedUntil")
now = datetime.datetime.now(datetime.timezone.utc)
print((now - datetime.datetime.fromisoformat(u.replace("Z", "+00:00"))).total_seconds() if u else "nan")
PY
}
a=$(lsn)
"$PGBIN/pgbench" -c 4 -j 2 -T "$LOAD_SECONDS" -h 127.0.0.1 -p "$PORT" -U postgres lib > "$ROOT/pgbench.out" 2>&1 &
LOAD=$!
: > "$ROOT/rpo"
while kill -0 "$LOAD" 2>/dev/null; do rpo >> "$ROOT/rpo"; sleep 1; done
b=$(lsn)
echo "pgbench -c 4 -j 2 -T $LOAD_SECONDS: $(grep -Eo 'tps = [0-9.]+' "$ROOT/pgbench.out" | head -1), $(diffb "$a" "$b") bytes of WAL"
python3 - "$ROOT/rpo" <<'PY'
import sys
v = sorted(float(x) for x in open(sys.argv[1]) if x.strip() and x.strip() != "nan")
q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
print(f"RPO under load ({len(v)} samples, now - confirmed position): p50 {q(0.5):.1f} s, p99 {q(0.99):.1f} s, max {v[-1]:.1f} s")
raw = [x.strip() for x in open(sys.argv[1]) if x.strip()]
over = [f"#{i + 1}: {float(x):.1f} s" for i, x in enumerate(raw) if x != "nan" and float(x) > 5]
if over: print("  samples over 5 s (1 a second from the start of the load): " + ", ".join(over))
PY

# A base backup the load made due (BASE_BACKUP_AFTER_WAL) finishes first, as it would before anyone asks.
# The agent decides every 10 s.
sleep 11; while ls -d "$BACKUPS"/.base/.tmp-* >/dev/null 2>&1; do sleep 0.5; done
echo "base backups: $(ls "$BACKUPS/.base" | grep -c . || true) (BASE_BACKUP_AFTER_WAL=$BASE_BACKUP_AFTER_WAL; $(grep -c 'BASE_BACKUP_AFTER_WAL:' "$ROOT/agent.log" || true) taken during the load)"
sleep 1.5; AT=$(date -u +"%Y-%m-%d %H:%M:%S"); sleep 4
# The hourly dump of the same library (a backup pass needs the agent's lock: stop it, then start
# it again), so that both restores below run beside a running agent, as in production: its
# pg_receivewal streams (and fsyncs) the WAL each restore writes into the primary.
kill "$AGENT_PID"; wait "$AGENT_PID" || true; AGENT_PID=
"$BIN" backup --db lib >/dev/null 2>&1
FILE=$(ls "$BACKUPS/lib/"*.sql.gz | tail -1)
bases=$(ls "$BACKUPS/.base" | grep -c . || true)
# BASE_BACKUP_AFTER_WAL off from here: each restore writes the library into the server, and that
# WAL would make the agent take base backups beside the restores measured.
BASE_BACKUP_AFTER_WAL=off "$BIN" run >> "$ROOT/agent.log" 2>&1 & AGENT_PID=$!
until grep -q '"streaming"' "$BACKUPS/.laterbase/wal-receiver.json" 2>/dev/null && [ "$(stat -c %Y "$BACKUPS/.laterbase/wal-receiver.json")" -gt "$(date -d '-2 sec' +%s)" ]; do sleep 0.5; done
# PAIRS pairs (default 3), the order alternating (--at first in odd pairs), each restore after
# a CHECKPOINT of the primary: the first restore after the load otherwise also pays the
# primary's checkpoint of the load and of the previous restore, whichever kind it is.
PAIRS=${PAIRS:-3}
elapsed() { python3 -c "print(round($(date +%s.%N)-$1,1))"; }
measure() {  # $1: at or plain, $2: the pair
  "${PSQL[@]}" -d postgres -c CHECKPOINT >/dev/null
  local t; t=$(date +%s.%N)
  if [ "$1" = at ]; then
    LOG_LEVEL=debug "$BIN" restore --db lib --at "$AT" --as "lib_at$2" >"$ROOT/at$2.out" 2>"$ROOT/at$2.err" || { cat "$ROOT/at$2.err"; exit 1; }
  else
    "$BIN" restore "$FILE" --as "lib_plain$2" >/dev/null 2>"$ROOT/plain$2.err" || { cat "$ROOT/plain$2.err"; exit 1; }
  fi
  elapsed "$t" > "$ROOT/$1$2.s"
}
for i in $(seq 1 "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then order="--at first"; measure at "$i"; measure plain "$i"; else order="plain first"; measure plain "$i"; measure at "$i"; fi
  [ "$i" = 1 ] && [ -n "${KEEP_LOG:-}" ] && cp "$ROOT/at1.out" "$KEEP_LOG" && cp "$ROOT/at1.err" "$KEEP_LOG.err"
  phases=$(grep -Eo '(replay reached the target|library copied into the new database|phase=("[^"]+"|[^ ]+)).*seconds=[0-9.]+' "$ROOT/at$i.out" | sed -E 's/^phase=//; s/"//g; s/ seconds=/ /' | paste -sd';' -)
  echo "pair $i ($order): restore --at $(cat "$ROOT/at$i.s") s; restore of the hourly dump $(cat "$ROOT/plain$i.s") s; ratio $(python3 -c "print(round($(cat "$ROOT/at$i.s")/$(cat "$ROOT/plain$i.s"),2))")"
  echo "  restore --at phases: $phases"
  [ "$i" = 1 ] && echo "  replayed from base backup $(grep -Eo 'base=[^ ]+' "$ROOT/at1.out" | head -1 | cut -d= -f2), $(grep -Eo 'segments=[0-9]+' "$ROOT/at1.out" | head -1 | cut -d= -f2) WAL segments staged"
  # The rows before the drop: each pair restores the same state.
  rows_at=$("${PSQL[@]}" -d "lib_at$i" -Atc 'SELECT count(*) FROM pgbench_history'); rows_plain=$("${PSQL[@]}" -d "lib_plain$i" -Atc 'SELECT count(*) FROM pgbench_history')
  echo "  rows: lib_at $rows_at, lib_plain $rows_plain"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE lib_at$i" -c "DROP DATABASE lib_plain$i" >/dev/null
done
echo "restore --at unpacked: $(grep -q 'zero_filled_libraries' "$ROOT/at1.out" && echo "lib and the system databases, other libraries zero-filled" || echo "the whole base backup")$(grep -q 'unpacking the whole base backup' "$ROOT/at1.out" && echo ", then everything (second pass)" || true)"
[ "$(ls "$BACKUPS/.base" | grep -c . || true)" = "$bases" ] || { echo "the agent took another base backup during the measurement; run again"; exit 1; }
python3 - "$ROOT" "$PAIRS" <<'PY2'
import sys, statistics
root, n = sys.argv[1], int(sys.argv[2])
at = [float(open(f"{root}/at{i}.s").read()) for i in range(1, n + 1)]
plain = [float(open(f"{root}/plain{i}.s").read()) for i in range(1, n + 1)]
ratios = sorted(a / p for a, p in zip(at, plain))
print(f"restore --at: median {statistics.median(at):.1f} s; restore of the hourly dump: median {statistics.median(plain):.1f} s; "
      f"ratio of the medians {statistics.median(at) / statistics.median(plain):.2f}, ratios of the {n} pairs {', '.join(f'{r:.2f}' for r in ratios)}")
PY2
