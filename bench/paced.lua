-- wrk script for bench/bench_polling.py: every connection is one dashboard that waits a random 0 to 2x
-- POLL_INTERVAL_MS before each request (its first one included), so on average it polls once per interval
-- and the pollers drift apart instead of firing in step.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + id * 7919)
  interval = tonumber(os.getenv("POLL_INTERVAL_MS") or "1000")
end

function delay()
  return math.random(0, 2 * interval)
end
