#!/usr/bin/env bash
# Figures for the standby (issue 3), not a test:
#   1. start -> streaming: standby-entrypoint run  vs  plain pg_basebackup -R + pg_ctl start
#   2. replay lag p50/p99 (pg_stat_replication.replay_lag on the primary) under pgbench load
# on a throwaway primary on 127.0.0.1 holding a pgbench library of a few hundred MB.
#
# Usage: bash bench/standby.sh            (SCALE=20 ≈ 300 MB, RUNS=3, LOAD_SECONDS=30)
#        BIN=.build-standby/debug/standby-entrypoint SCALE=30 bash bench/standby.sh
# Runs as root (servers as the postgres account) or as an ordinary user. Cleans up after itself.
set -euo pipefail

SCALE=${SCALE:-20}
RUNS=${RUNS:-3}
LOAD_SECONDS=${LOAD_SECONDS:-30}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build-standby/debug/standby-entrypoint}
PGBIN=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$BIN" ] || { echo "build first: swift build --scratch-path .build-standby (or set BIN)"; exit 1; }

ROOT=$(mktemp -d /tmp/laterbase-bench-standby-XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$ROOT"
  AS=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
fi
PASSWORD="bench-$(date +%s)-pw"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PRIMARY_PORT=$(free_port)
export PGPASSFILE="$ROOT/pgpass"
echo "127.0.0.1:*:*:postgres:$PASSWORD" > "$PGPASSFILE"; chmod 600 "$PGPASSFILE"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGPASSFILE"

PIDS_TO_STOP=()
cleanup() {
  for dir in "$ROOT"/*/; do
    [ -f "$dir/postmaster.pid" ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
  done
  [ -n "${LOGS_TO:-}" ] && cp "$ROOT"/*.log "$LOGS_TO"/ 2>/dev/null
  rm -rf "$ROOT"
}
trap cleanup EXIT

psql_at() { local port=$1; shift; psql -X -A -t -q -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
wait_streaming() {  # port
  for _ in $(seq 1 3000); do
    [ "$(psql_at "$1" -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ] && return 0
    sleep 0.05
  done
  echo "standby on port $1 never streamed"; return 1
}

echo "== primary: initdb + pgbench -i -s $SCALE"
echo -n "$PASSWORD" > "$ROOT/pw"; [ "$(id -u)" = 0 ] && chown postgres "$ROOT/pw"
"${AS[@]}" "$PGBIN/initdb" -D "$ROOT/primary" -U postgres --pwfile="$ROOT/pw" --auth=scram-sha-256 -E UTF8 --locale=C >/dev/null
rm -f "$ROOT/pw"
cat >> "$ROOT/primary/postgresql.auto.conf" <<CONF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ROOT'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 128MB
CONF
echo "host replication all 127.0.0.1/32 scram-sha-256" >> "$ROOT/primary/pg_hba.conf"
"${AS[@]}" "$PGBIN/pg_ctl" -D "$ROOT/primary" -l "$ROOT/primary.log" -w start >/dev/null
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -i -s "$SCALE" -q postgres >/dev/null 2>&1
psql_at "$PRIMARY_PORT" -c "CHECKPOINT"
SIZE=$(psql_at "$PRIMARY_PORT" -c "SELECT pg_size_pretty(sum(pg_database_size(oid))) FROM pg_database")
echo "library size: $SIZE"

baseline() {  # run number
  local dir="$ROOT/plain$1" port; port=$(free_port)
  psql_at "$PRIMARY_PORT" -c "SELECT pg_create_physical_replication_slot('plain$1')" >/dev/null
  local t0; t0=$(now)
  "${AS[@]}" env PGPASSFILE="$PGPASSFILE" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$dir" \
      -S "plain$1" -X stream -c fast -R -w >/dev/null
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$dir" -l "$ROOT/plain$1.log" -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$ROOT" start >/dev/null
  wait_streaming "$port"
  elapsed "$t0" "$(now)"
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  psql_at "$PRIMARY_PORT" -c "SELECT pg_drop_replication_slot('plain$1')" >/dev/null
  rm -rf "$dir"
}

ours() {  # run number [keep]
  local dir="$ROOT/ours$1" port; port=$(free_port)
  local t0; t0=$(now)
  env -i PATH="$PATH" PRIMARY_HOST=127.0.0.1 PRIMARY_PORT="$PRIMARY_PORT" PRIMARY_USER=postgres REPL_PASSWORD="$PASSWORD" \
      PRIMARY_SSLMODE=disable PGDATA="$dir" PGPORT="$port" REPLICATION_SLOT="ours$1" \
      "$BIN" run -- -c listen_addresses=127.0.0.1 >"$ROOT/ours$1.log" 2>&1 &
  OURS_PID=$! OURS_PORT=$port
  wait_streaming "$port"
  elapsed "$t0" "$(now)"
  if [ "${2:-}" != keep ]; then
    kill -INT "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true
    psql_at "$PRIMARY_PORT" -c "SELECT pg_drop_replication_slot('ours$1')" >/dev/null
    rm -rf "$dir"
  fi
}

echo "== start -> streaming ($RUNS runs each, alternating)"
PLAIN=() OURS=()
for i in $(seq 1 "$RUNS"); do
  PLAIN+=("$(baseline "$i" | tail -1)")
  ours "$i" >"$ROOT/ours-time" ; OURS+=("$(tail -1 "$ROOT/ours-time")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
P=$(median "${PLAIN[@]}"); O=$(median "${OURS[@]}")
echo "pg_basebackup -R + pg_ctl start: ${PLAIN[*]} s (median $P s)"
echo "standby-entrypoint run:          ${OURS[*]} s (median $O s)"
python3 -c "print(f'ratio standby-entrypoint / plain: {$O/$P:.2f}x (target <= 1.2x)')"

echo "== replay lag under pgbench load ($LOAD_SECONDS s, 4 clients)"
ours lag keep >/dev/null   # leaves OURS_PID (the postmaster, after exec) running
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -c 4 -j 2 -T "$LOAD_SECONDS" -n postgres >"$ROOT/pgbench.out" 2>&1 &
LOAD=$!
: >"$ROOT/lag"
while kill -0 "$LOAD" 2>/dev/null; do
  psql_at "$PRIMARY_PORT" -F ' ' -c "SELECT coalesce(extract(epoch FROM replay_lag), 0), pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication WHERE application_name = 'ourslag'" >>"$ROOT/lag" 2>/dev/null || true
  sleep 0.25
done
wait "$LOAD" || true
TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$ROOT/pgbench.out" | head -1)
python3 - "$ROOT/lag" "$TPS" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
secs = sorted(float(r[0]) for r in rows); lag_bytes = sorted(int(float(r[1])) for r in rows)
def pct(v, p): return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print(f"pgbench: {sys.argv[2]} tps; {len(rows)} samples")
print(f"replay lag seconds: p50 {pct(secs, 50)*1000:.1f} ms, p99 {pct(secs, 99)*1000:.1f} ms, max {secs[-1]*1000:.1f} ms")
print(f"replay lag bytes:   p50 {pct(lag_bytes, 50)}, p99 {pct(lag_bytes, 99)}, max {lag_bytes[-1]}")
PY
kill -INT "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true
