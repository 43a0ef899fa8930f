-- GET /api/v1/clients/?search=Bench NNNN: count, page, the page's addresses.
\set n random(0, 999)
SELECT lpad(:n::text, 4, '0') AS term \gset
SELECT count(*) AS __count FROM clients_client WHERE ((UPPER(name::text) LIKE UPPER('%Bench%') OR UPPER(document::text) LIKE UPPER('%Bench%') OR UPPER(email::text) LIKE UPPER('%Bench%')) AND (UPPER(name::text) LIKE UPPER('%' || :term || '%') OR UPPER(document::text) LIKE UPPER('%' || :term || '%') OR UPPER(email::text) LIKE UPPER('%' || :term || '%')));
SELECT array_agg(id) AS client_ids FROM (SELECT id FROM clients_client WHERE ((UPPER(name::text) LIKE UPPER('%Bench%') OR UPPER(document::text) LIKE UPPER('%Bench%') OR UPPER(email::text) LIKE UPPER('%Bench%')) AND (UPPER(name::text) LIKE UPPER('%' || :term || '%') OR UPPER(document::text) LIKE UPPER('%' || :term || '%') OR UPPER(email::text) LIKE UPPER('%' || :term || '%'))) ORDER BY name LIMIT 50) AS page \gset
SELECT * FROM clients_address WHERE client_id = ANY(:client_ids::uuid[]) ORDER BY is_default DESC, created_at;
