-- Shared by every scenario: the ids the bench seeded, the token, and a summary line
-- that scripts/bench.py reads (wrk's own output counts a 4xx as a success).
local dir = os.getenv("BENCH_DATA")

function lines(name)
  local found = {}
  for line in io.lines(dir .. "/" .. name) do found[#found + 1] = line end
  return found
end

wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"

local statuses = {}
local counters = {}

function setup(thread)
  counters[#counters + 1] = thread
end

function response(status, headers, body)
  if status >= 300 then
    bad = (bad or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(counters) do
    bad = bad + (thread:get("bad") or 0)
  end
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f bad=%d socket_errors=%d p50=%.3f p99=%.3f\n",
    summary.requests, summary.duration / 1e6, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
