-- POST /api/v1/products/{id}/stock-movements/: lock, update, outbox (its trigger notifies), ledger;
-- plus one look-up of a random id.
\set p random(1, 1000)
SELECT id AS product_id FROM bench_products WHERE n = :p \gset
BEGIN;
SELECT * FROM products_product WHERE id = :product_id FOR UPDATE;
UPDATE products_product SET version = version + 1, updated_at = now(), stock_quantity = stock_quantity - 1 WHERE id = :product_id RETURNING stock_quantity AS after \gset
INSERT INTO common_outboxevent (event_id, type, aggregate_type, aggregate_id, version, envelope, created_at, sent_at, attempts, last_error, repeat) VALUES (gen_random_uuid(), 'products.product.updated', 'products.product', :product_id, 3, '{"id": "4b833eac-1822-43d3-b96d-d892f7fa5f6b", "type": "products.product.updated", "source": "products_api", "aggregate_id": "7454de34-9a80-43c1-afee-f0e0bc1b8bf6", "version": 3, "occurred_at": "2026-11-29T05:38:40.574753Z", "data": {"id": "7454de34-9a80-43c1-afee-f0e0bc1b8bf6", "sku": "BENCH-0003", "name": "Produto Bench 0003", "description": "", "price": "13.90", "is_active": true, "stock_quantity": 999998, "min_quantity": 10, "max_quantity": 10000000, "low_stock": false, "created_at": "2026-11-29T05:36:02.947184+00:00", "updated_at": "2026-11-29T05:38:40.573370+00:00"}}'::jsonb, now(), NULL, 0, '', false) RETURNING id AS event_row \gset
INSERT INTO products_stockmovement (id, product_id, kind, quantity, delta, quantity_before, quantity_after, reason, reference, created_by, created_by_username, created_at) VALUES (gen_random_uuid(), :product_id, 'out', 1, -1, :after + 1, :after, 'bench', '', 'd6914f2a-aa96-4661-80c6-c055cccbe375', 'bench-admin', now());
COMMIT;
