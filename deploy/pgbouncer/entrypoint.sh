#!/bin/sh
# Writes PgBouncer's auth file from <SERVICE>_DB_PASSWORD (one role per service, named
# after it), then runs PgBouncer in the foreground.
set -eu
userlist=/etc/pgbouncer/userlist.txt
: > "$userlist"
for service in users_api clients_api products_api orders_api; do
    variable=$(echo "${service}_DB_PASSWORD" | tr '[:lower:]' '[:upper:]')
    password=$(printenv "$variable") || { echo "$variable is not set" >&2; exit 1; }
    printf '"%s" "%s"\n' "$service" "$password" >> "$userlist"
done
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
