-- POST /api/v1/products/{id}/stock-movements/: lock, update, outbox (its trigger notifies), ledger;
-- plus one look-up of a random id. The event is the product's new state under a new id, as
-- the endpoint's is, so orders_api's worker applies it to its copy in both turns (a captured
-- event sent again would be dropped there as a duplicate, at a fraction of the cost).
\set p random(1, 1000)
SELECT id AS product_id FROM bench_products WHERE n = :p \gset
BEGIN;
SELECT * FROM products_product WHERE id = :product_id FOR UPDATE \gset
UPDATE products_product SET version = version + 1, updated_at = now(), stock_quantity = stock_quantity - 1 WHERE id = :product_id RETURNING stock_quantity AS after \gset
INSERT INTO common_outboxevent (event_id, type, aggregate_type, aggregate_id, version, envelope, created_at, sent_at, attempts, last_error, repeat) SELECT event.id, 'products.product.updated', 'products.product', :product_id, CAST(:version AS integer) + 1, jsonb_build_object('id', event.id, 'type', 'products.product.updated', 'source', 'products_api', 'aggregate_id', CAST(:product_id AS text), 'version', CAST(:version AS integer) + 1, 'occurred_at', now(), 'data', jsonb_build_object('id', CAST(:product_id AS text), 'sku', CAST(:sku AS text), 'name', CAST(:name AS text), 'description', CAST(:description AS text), 'price', CAST(:price AS text), 'is_active', CAST(:is_active AS boolean), 'stock_quantity', CAST(:after AS integer), 'min_quantity', CAST(:min_quantity AS integer), 'max_quantity', CAST(:max_quantity AS integer), 'low_stock', CAST(:after AS integer) <= CAST(:min_quantity AS integer), 'reserved', CAST(:reserved AS integer), 'available', GREATEST(0, CAST(:after AS integer) - CAST(:reserved AS integer)), 'created_at', CAST(:created_at AS text), 'updated_at', now())), now(), NULL, 0, '', false FROM (SELECT gen_random_uuid() AS id) AS event RETURNING id AS event_row \gset
INSERT INTO products_stockmovement (id, product_id, kind, quantity, delta, reserved_delta, quantity_before, quantity_after, reason, reason_code, reason_params, reference, created_by, created_by_username, created_at) VALUES (gen_random_uuid(), :product_id, 'out', 1, -1, 0, :after + 1, :after, 'bench', '', '{}', '', 'd6914f2a-aa96-4661-80c6-c055cccbe375', 'bench-admin', now());
COMMIT;
