#!/bin/sh
# Entry point of laterbase-pgadmin (mounted into the upstream dpage/pgadmin4 image by
# docker-compose.yml): writes servers.json with the Resolve server and the Laterbase standby
# from the same variables the other two containers read, then runs pgAdmin's own entrypoint.
#
# pgAdmin imports PGADMIN_SERVER_JSON_FILE when it creates its database (the first start of
# the pgadmin volume), and at every start when PGADMIN_REPLACE_SERVERS_ON_STARTUP=True (which
# also forgets passwords saved in pgAdmin). The passwords are not in the file: pgAdmin asks
# for REPL_PASSWORD at the first connection ("Save password" keeps it in its volume).
set -eu

json_string() {  # a JSON string literal for $1
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

: "${PRIMARY_HOST:?PRIMARY_HOST is not set: name the Resolve server in .env}"
out="${PGADMIN_SERVER_JSON_FILE:-/var/lib/pgadmin/laterbase-servers.json}"
user="${PRIMARY_USER:-postgres}"
sslmode="${PRIMARY_SSLMODE:-prefer}"

cat >"$out.tmp" <<EOF
{
  "Servers": {
    "1": {
      "Name": $(json_string "Resolve server (primary) $PRIMARY_HOST"),
      "Group": "Laterbase",
      "Host": $(json_string "$PRIMARY_HOST"),
      "Port": ${PRIMARY_PORT:-5432},
      "MaintenanceDB": "postgres",
      "Username": $(json_string "$user"),
      "SSLMode": $(json_string "$sslmode"),
      "Comment": "The DaVinci Resolve PostgreSQL server that Laterbase protects."
    },
    "2": {
      "Name": "Laterbase standby (read-only)",
      "Group": "Laterbase",
      "Host": $(json_string "${LATERBASE_STANDBY_HOST:-laterbase-standby}"),
      "Port": ${LATERBASE_STANDBY_PORT:-5432},
      "MaintenanceDB": "postgres",
      "Username": $(json_string "$user"),
      "SSLMode": "prefer",
      "Comment": "Hot standby streaming from the Resolve server; promote it with: docker compose exec laterbase-standby standby-entrypoint promote"
    }
  }
}
EOF
mv "$out.tmp" "$out"
export PGADMIN_SERVER_JSON_FILE="$out"
exec /entrypoint.sh "$@"
