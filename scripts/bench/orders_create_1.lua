-- POST /api/v1/orders/ with one line: beside orders_create (3 lines), what a line costs.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local clients, products = lines("clients.txt"), lines("products.txt")
wrk.method = "POST"

request = function()
  local body = string.format('{"client_id":"%s","items":[{"product_id":"%s","quantity":1}]}',
    clients[math.random(#clients)], products[math.random(#products)])
  return wrk.format(nil, "/api/v1/orders/", nil, body)
end
