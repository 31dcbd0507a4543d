#!/bin/sh
# TEST-ONLY: /entrypoint.sh of the pgAdmin stub (pgadmin-stub.Containerfile). Refuses to start
# unless PGADMIN_SERVER_JSON_FILE is valid JSON, as pgAdmin's import would; serves /misc/ping;
# ends on SIGTERM as pgAdmin does (busybox httpd as PID 1 would ignore it until the SIGKILL).
python3 -c 'import json, os; json.load(open(os.environ["PGADMIN_SERVER_JSON_FILE"]))' || exit 1
echo "stub pgadmin: servers file ok: $PGADMIN_SERVER_JSON_FILE"
busybox httpd -f -p 80 -h /www &
trap 'kill $!; exit 0' TERM INT
wait
