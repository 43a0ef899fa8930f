-- GET /api/v1/orders/{id}/ of a random order (3 items each).
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local orders = lines("orders.txt")

request = function()
  return wrk.format(nil, "/api/v1/orders/" .. orders[math.random(#orders)] .. "/")
end
