-- GET /api/v1/clients/?search=Bench NNNN: count, page, the page's addresses.
-- Each term is folded (common.search) and looked for in the clients' search_text.
\set n random(0, 999)
SELECT lpad(:n::text, 4, '0') AS term \gset
SELECT count(*) AS __count FROM clients_client WHERE (search_text LIKE '%bench%' AND search_text LIKE '%' || :term || '%');
SELECT array_agg(id) AS client_ids FROM (SELECT id FROM clients_client WHERE (search_text LIKE '%bench%' AND search_text LIKE '%' || :term || '%') ORDER BY name LIMIT 50) AS page \gset
SELECT * FROM clients_address WHERE client_id = ANY(:client_ids::uuid[]) ORDER BY is_default DESC, created_at;
