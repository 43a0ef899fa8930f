-- POST /api/v1/orders/: a random client, 3 distinct products, quantity 1 each.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local clients, products = lines("clients.txt"), lines("products.txt")
wrk.method = "POST"

request = function()
  local first = math.random(#products - 2)
  local body = string.format(
    '{"client_id":"%s","items":[{"product_id":"%s","quantity":1},'
      .. '{"product_id":"%s","quantity":1},{"product_id":"%s","quantity":1}]}',
    clients[math.random(#clients)], products[first], products[first + 1], products[first + 2])
  return wrk.format(nil, "/api/v1/orders/", nil, body)
end
