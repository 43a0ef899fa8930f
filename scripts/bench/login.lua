-- POST /api/v1/auth/token: the bench's superuser signs in (a password hash each time).
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
wrk.headers["Authorization"] = nil
wrk.method = "POST"
wrk.path = "/api/v1/auth/token"
wrk.body = string.format('{"username":"%s","password":"%s"}',
  os.getenv("BENCH_USERNAME"), os.getenv("BENCH_PASSWORD"))
