-- GET /api/v1/products/?limit=50: the count and the first page.
SELECT count(*) AS __count FROM products_product;
SELECT * FROM products_product ORDER BY name LIMIT 50;
