-- GET /api/v1/clients/?search=<term>: a random term out of names, e-mails and documents.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local terms = lines("search_terms.txt")

request = function()
  return wrk.format(nil, "/api/v1/clients/?search=" .. terms[math.random(#terms)])
end
