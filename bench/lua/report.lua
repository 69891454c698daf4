-- Appended to every script: the run's summary as one JSON line (latencies in microseconds) for the bench to
-- parse. Scripts that time their own window (per_ticket.lua) add "ok" answers and "window_us".
function done(summary, latency, requests)
  local e = summary.errors
  local own = ""
  if bench_threads and #bench_threads > 0 then
    local ok, first, last = 0, nil, 0
    for _, thread in ipairs(bench_threads) do
      local started = thread:get("first_us") or 0
      if (thread:get("ok_count") or 0) > 0 then
        ok = ok + thread:get("ok_count")
        if first == nil or started < first then first = started end
        if thread:get("last_us") > last then last = thread:get("last_us") end
      end
    end
    if first ~= nil then
      own = string.format(', "ok": %d, "window_us": %d', ok, last - first)
    end
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "status_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f%s}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, own))
end
