-- One database per service: no service reads another's tables.
CREATE DATABASE users_api;
CREATE DATABASE clients_api;
CREATE DATABASE products_api;
CREATE DATABASE orders_api;
