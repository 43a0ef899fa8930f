-- POST /api/v1/orders/ as PostgreSQL sees it: the 15 statements the endpoint issues
-- (the order's transaction, the fast-path relay's claim of its event, the re-read for
-- the response), plus one look-up of random ids in the bench's own id tables.
\set c random(1, 1000)
\set p random(1, 998)
SELECT (SELECT id FROM bench_clients WHERE n = :c) AS client_id, (SELECT id FROM bench_products WHERE n = :p) AS p1, (SELECT id FROM bench_products WHERE n = :p + 1) AS p2, (SELECT id FROM bench_products WHERE n = :p + 2) AS p3, gen_random_uuid() AS order_id \gset
BEGIN;
SELECT * FROM orders_clientsnapshot WHERE id = :client_id ORDER BY name LIMIT 1;
SELECT * FROM orders_productsnapshot WHERE id IN (:p1, :p2, :p3) ORDER BY name;
SELECT id, last FROM orders_ordernumber WHERE id = 1 ORDER BY id LIMIT 1 FOR UPDATE;
UPDATE orders_ordernumber SET last = last + 1 WHERE id = 1 RETURNING last AS number \gset
INSERT INTO orders_orderitem (version, created_at, updated_at, id, order_id, product_id, sku, product_name, quantity, unit_price, total) SELECT 1, now(), now(), gen_random_uuid(), :order_id, p.id, p.sku, p.name, 1, p.price, p.price FROM orders_productsnapshot p WHERE p.id IN (:p1, :p2, :p3);
INSERT INTO orders_order (version, created_at, updated_at, id, number, client_id, client_name, shipping_address, status, stock_status, notes, total, cancel_reason, stock_reason, stock_shortages, created_by) VALUES (1, now(), now(), :order_id, :number, :client_id, 'Cliente Bench', '{"id": "0b790d80-2e2b-4976-a42d-f55af1e53380", "city": "São Paulo", "label": "Casa", "state": "SP", "number": "433", "street": "Rua das Flores", "country": "BR", "district": "Centro", "complement": "", "is_default": true, "postal_code": "01310100"}'::jsonb, 'open', 'none', '', 65.70, '', '', '[]'::jsonb, 'd6914f2a-aa96-4661-80c6-c055cccbe375');
SELECT * FROM orders_orderitem WHERE order_id = :order_id ORDER BY created_at, id;
INSERT INTO common_outboxevent (event_id, type, aggregate_type, aggregate_id, version, envelope, created_at, sent_at, attempts, last_error) VALUES (gen_random_uuid(), 'orders.order.created', 'orders.order', :order_id, 1, '{"id": "0d70cd1a-1590-4b25-9db4-e74e453d529e", "type": "orders.order.created", "source": "orders_api", "aggregate_id": "8f434cf0-ad49-44d4-aebf-9aeafb6f1a81", "version": 1, "occurred_at": "2026-11-29T05:38:37.587657Z", "data": {"id": "8f434cf0-ad49-44d4-aebf-9aeafb6f1a81", "number": 2, "client_id": "016b25be-e129-4863-b039-11b5ba7a4365", "client_name": "Cliente Bench 0432", "shipping_address": {"id": "0b790d80-2e2b-4976-a42d-f55af1e53380", "city": "São Paulo", "label": "Casa", "state": "SP", "number": "433", "street": "Rua das Flores", "country": "BR", "district": "Centro", "complement": "", "is_default": true, "postal_code": "01310100"}, "status": "open", "stock_status": "none", "stock_reason": "", "stock_shortages": [], "notes": "", "cancel_reason": "", "total": "65.70", "items": [{"id": "02dabf97-a8a6-4934-b9ac-98e97e49b8c8", "product_id": "ddc8a707-31fd-4a2a-8e86-db9345274903", "sku": "BENCH-0010", "product_name": "Produto Bench 0010", "quantity": 1, "unit_price": "20.90", "total": "20.90"}, {"id": "74883755-593f-4bfd-9bb0-40091361e8fd", "product_id": "85371c8f-5816-4a04-b3d1-d8fb8570cd67", "sku": "BENCH-0011", "product_name": "Produto Bench 0011", "quantity": 1, "unit_price": "21.90", "total": "21.90"}, {"id": "a218dc15-1b03-460c-95d5-95ce82b212df", "product_id": "bfd5f808-bf22-468e-858a-0b48bee6a606", "sku": "BENCH-0012", "product_name": "Produto Bench 0012", "quantity": 1, "unit_price": "22.90", "total": "22.90"}], "created_at": "2026-11-29T05:38:37.587101+00:00", "updated_at": "2026-11-29T05:38:37.587109+00:00"}}'::jsonb, now(), NULL, 0, '') RETURNING id AS event_row \gset
INSERT INTO orders_orderstatuschange (order_id, from_status, to_status, reason, changed_by, changed_by_username, changed_at) VALUES (:order_id, '', 'open', '', 'd6914f2a-aa96-4661-80c6-c055cccbe375', 'bench-admin', now()) RETURNING id;
COMMIT;
BEGIN;
SELECT * FROM common_outboxevent o WHERE o.id IN (:event_row) AND o.sent_at IS NULL AND NOT EXISTS (SELECT 1 FROM common_outboxevent u WHERE u.aggregate_id = o.aggregate_id AND u.aggregate_type = o.aggregate_type AND u.id < o.id AND u.sent_at IS NULL AND NOT (u.id IN (:event_row)) LIMIT 1) ORDER BY o.id FOR UPDATE SKIP LOCKED;
UPDATE common_outboxevent SET sent_at = now() WHERE id IN (:event_row);
COMMIT;
SELECT * FROM orders_order WHERE id = :order_id LIMIT 21;
SELECT * FROM orders_orderitem WHERE order_id IN (:order_id) ORDER BY created_at, id;
