-- GET /api/v1/products/?limit=50: the first page of 50.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
wrk.path = "/api/v1/products/?limit=50"
