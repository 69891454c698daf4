-- One ticket per request, taken in turn from the file BENCH_IDS (one id a line), split among wrk's threads.
-- BENCH_MODE=get: GET /api/support-ticket/<id>, cycling through the tickets.
-- BENCH_MODE=assign: POST /api/assign on each ticket once; a thread stops when its tickets run out (a second
-- assign of a ticket would be a refused transition, not a transition). wrk still waits out its duration, so
-- each thread times its own window (first request to last answer) and report.lua reports that instead.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *tp);
]])
local clock = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local mode = os.getenv("BENCH_MODE") or "get"
local token = os.getenv("BENCH_TOKEN")
local ids = {}
local next_id = 1
local answered = 0
bench_threads = {}

function setup(thread)
  thread:set("thread_index", #bench_threads)
  bench_threads[#bench_threads + 1] = thread
end

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local mine = thread_index or 0
  local line_number = 0
  for line in io.lines(os.getenv("BENCH_IDS")) do
    if line ~= "" then
      if line_number % threads == mine then
        ids[#ids + 1] = line
      end
      line_number = line_number + 1
    end
  end
  ok_count, first_us, last_us = 0, 0, 0
end

function request()
  if first_us == 0 then
    first_us = now_us()
  end
  local id = ids[next_id]
  next_id = next_id % #ids + 1
  local headers = { ["Authorization"] = "Bearer " .. token }
  if mode == "assign" then
    headers["Content-Type"] = "application/json"
    local body = '{"aggregate_id": "' .. id .. '", "data": {"assignee": "bob"}}'
    return wrk.format("POST", "/api/assign", headers, body)
  end
  return wrk.format("GET", "/api/support-ticket/" .. id, headers)
end

if mode == "assign" then
  function response(status, headers, body)
    answered = answered + 1
    last_us = now_us()
    if status < 300 then
      ok_count = ok_count + 1
    end
    if answered >= #ids then
      wrk.thread:stop()
    end
  end
end
