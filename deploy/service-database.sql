-- One service's database and the one role that may reach it.
-- psql variables: database, role, password. Run as a superuser, e.g.
--   psql -v ON_ERROR_STOP=1 -v database=orders_api -v role=orders_api \
--        -v password="$ORDERS_API_DB_PASSWORD" -f deploy/service-database.sql
-- The role owns its database (migrations create tables there) and is nothing more:
-- no superuser, no CREATEDB, no CREATEROLE. Every role may connect to every database
-- by default (PUBLIC's CONNECT); revoking it leaves the owner as the only one who can.
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;
