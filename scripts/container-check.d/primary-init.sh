#!/bin/bash
# TEST-ONLY: a throwaway "Resolve server" for scripts/container-check — PostgreSQL PG_MAJOR as the
# primary, scram-sha-256 for every TCP connection (replication included), wal_level=replica,
# UTF8. The password comes from POSTGRES_PASSWORD (REPL_PASSWORD of the stack).
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  umask 077
  printf '%s' "$POSTGRES_PASSWORD" > /tmp/pw
  initdb -D "$PGDATA" -U postgres --pwfile=/tmp/pw --auth=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
  rm -f /tmp/pw
  printf "listen_addresses='*'\nwal_level=replica\nmax_wal_senders=10\nmax_replication_slots=10\n" >> "$PGDATA/postgresql.conf"
  printf 'local all all trust\nhost all all all scram-sha-256\nhost replication all all scram-sha-256\n' > "$PGDATA/pg_hba.conf"
fi
exec postgres
