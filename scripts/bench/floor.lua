-- GET /<scenario> of the floor app: a bare Django view running the scenario's SQL.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
wrk.path = "/" .. os.getenv("BENCH_FLOOR_SCENARIO")
