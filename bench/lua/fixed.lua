-- The same request every time: method, body and bearer token from the environment (BENCH_METHOD, BENCH_BODY,
-- BENCH_TOKEN); the URL's path is the one given to wrk.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
