-- GET /api/v1/orders/{id}/: the order and its items, plus one look-up of a random id.
\set o random(1, 1000)
SELECT id AS order_id FROM bench_orders WHERE n = :o \gset
SELECT * FROM orders_order WHERE id = :order_id;
SELECT * FROM orders_orderitem WHERE order_id = :order_id ORDER BY created_at, id;
