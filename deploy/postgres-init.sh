#!/bin/sh
# docker-compose: run once by the postgres image on an empty data directory
# (/docker-entrypoint-initdb.d). Each service gets its own database and its own role,
# which can reach no other service's database (deploy/service-database.sql).
set -e
for service in users_api clients_api products_api orders_api; do
    variable="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password="$(printenv "$variable" || true)"
    if [ -z "$password" ]; then
        echo "$variable is not set: run scripts/make_env.py to create .env" >&2
        exit 1
    fi
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v database="$service" -v role="$service" -v password="$password" \
        -f /deploy/service-database.sql
done
