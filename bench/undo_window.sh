#!/usr/bin/env bash
# Figures for the undo window (issue 11), not a test:
#   1. WAL archive bytes per idle minute and per minute of pgbench load
#   2. RPO under pgbench load: now − the receiver's confirmed position (wal-receiver.json), p50/p99/max
#   3. restore --db --at --as  vs  restore FILE --as of the library's dump taken after the load,
#      both beside the running agent (its receiver streams the WAL both restores write)
# on a throwaway primary on 127.0.0.1 holding a pgbench library (SCALE=25 ≈ 400 MB).
#
# OTHER_SCALE=S adds a second library "other" (pgbench -i -s S, idle during the load) beside it,
# as on a facility's server with several libraries: restore --at unpacks only the one it restores.
#
# Usage: BIN=.build/debug/backup-agent SCALE=25 LOAD_SECONDS=60 [OTHER_SCALE=25] bash bench/undo_window.sh
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
  BACKUP_DIR=$BACKUPS TZ=UTC WAL_ARCHIVE=on BACKUP_ON_START=false BACKUP_SCHEDULE="0 0 1 1 *" PRIMARY_DBS=lib LOG_LEVEL=info
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

sleep 1.5; AT=$(date -u +"%Y-%m-%d %H:%M:%S"); sleep 4
# The hourly dump of the same library (a backup pass needs the agent's lock: stop it, then start
# it again), so that both restores below run beside a running agent, as in production: its
# pg_receivewal streams (and fsyncs) the WAL each restore writes into the primary.
kill "$AGENT_PID"; wait "$AGENT_PID" || true; AGENT_PID=
"$BIN" backup --db lib >/dev/null 2>&1
FILE=$(ls "$BACKUPS/lib/"*.sql.gz | tail -1)
bases=$(ls "$BACKUPS/.base" | grep -c . || true)
"$BIN" run >> "$ROOT/agent.log" 2>&1 & AGENT_PID=$!
until grep -q '"streaming"' "$BACKUPS/.laterbase/wal-receiver.json" 2>/dev/null && [ "$(stat -c %Y "$BACKUPS/.laterbase/wal-receiver.json")" -gt "$(date -d '-2 sec' +%s)" ]; do sleep 0.5; done
t=$(date +%s.%N)
LOG_LEVEL=debug "$BIN" restore --db lib --at "$AT" --as lib_at >"$ROOT/at.out" 2>"$ROOT/at.err" || { cat "$ROOT/at.err"; exit 1; }
at_s=$(python3 -c "print(round($(date +%s.%N)-$t,1))")
echo "restore --at phases: $(grep -Eo '(replay reached the target|library copied into the new database|phase=("[^"]+"|[^ ]+)).*seconds=[0-9.]+' "$ROOT/at.out" | sed -E 's/^phase=//; s/"//g; s/ seconds=/ /' | paste -sd';' -)"
echo "restore --at unpacked: $(grep -q 'zero_filled_libraries' "$ROOT/at.out" && echo "lib and the system databases, other libraries zero-filled" || echo "the whole base backup")$(grep -q 'unpacking the whole base backup' "$ROOT/at.out" && echo ", then everything (second pass)" || true)"
[ -n "${KEEP_LOG:-}" ] && cp "$ROOT/at.out" "$KEEP_LOG" && cp "$ROOT/at.err" "$KEEP_LOG.err"
t=$(date +%s.%N)
"$BIN" restore "$FILE" --as lib_plain >/dev/null 2>"$ROOT/plain.err" || { cat "$ROOT/plain.err"; exit 1; }
plain_s=$(python3 -c "print(round($(date +%s.%N)-$t,1))")
[ "$(ls "$BACKUPS/.base" | grep -c . || true)" = "$bases" ] || { echo "the agent took another base backup during the measurement; run again"; exit 1; }
echo "restore --at: $at_s s; restore of the hourly dump: $plain_s s; ratio $(python3 -c "print(round($at_s/$plain_s,2))")"
echo "rows: lib_at $("${PSQL[@]}" -d lib_at -Atc 'SELECT count(*) FROM pgbench_history'), lib_plain $("${PSQL[@]}" -d lib_plain -Atc 'SELECT count(*) FROM pgbench_history')"
