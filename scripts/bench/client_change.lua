-- PATCH /api/v1/clients/{id}/addresses/{aid}/: a random address gets a new number; the
-- client, addresses included, is published again to orders_api.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local addresses = lines("addresses.txt")
wrk.method = "PATCH"

request = function()
  local body = string.format('{"number":"%d"}', math.random(1, 99999))
  return wrk.format(nil, "/api/v1/clients/" .. addresses[math.random(#addresses)] .. "/", nil, body)
end
