-- POST /api/v1/products/{id}/stock-movements/: one unit in or out of a random product.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local products = lines("products.txt")
local kinds = {"in", "out"}
wrk.method = "POST"

request = function()
  local body = string.format('{"kind":"%s","quantity":1,"reason":"bench"}', kinds[math.random(2)])
  return wrk.format(nil, "/api/v1/products/" .. products[math.random(#products)]
    .. "/stock-movements/", nil, body)
end
