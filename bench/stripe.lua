-- wrk script for bench/ingest.sh: POSTs signed, unique Stripe events.
--
--   wrk ... -s bench/stripe.lua http://127.0.0.1:PORT -- MODE BASE NTHREADS
--
-- MODE      "stripe" sends to /stripe and each event id at most once (a run
--           that needs more ids than BASE.sigs holds is reported as wrapped
--           and does not count); "plain" sends the very same requests to
--           /plain, reusing ids freely (the baseline needs no uniqueness).
-- BASE      path prefix of the files bench/cmd/stripesign wrote: BASE.prefix,
--           BASE.suffix (the body around the id) and BASE.sigs ("id t sig"
--           lines). Reading the template from those files keeps the signed
--           and the sent body identical.
-- NTHREADS  wrk's -t; thread k (0-based) takes lines k, k+N, k+2N, ... so
--           the threads' slices are disjoint.
--
-- done() prints one line "HOOKGATE key=value ..." that ingest.sh parses.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function init(args)
  mode = args[1]
  local base = args[2]
  local nthreads = tonumber(args[3])
  if (mode ~= "stripe" and mode ~= "plain") or not base or not nthreads then
    error("usage: -- stripe|plain BASE NTHREADS")
  end
  path = mode == "plain" and "/plain" or "/stripe"
  prefix = slurp(base .. ".prefix")
  suffix = slurp(base .. ".suffix")
  ids, sigs = {}, {}
  local n, i = 0, 0
  for line in io.lines(base .. ".sigs") do
    if i % nthreads == tid then
      local id, t, sig = line:match("^(%S+) (%d+) (%x+)$")
      if not id then error("bad line in " .. base .. ".sigs: " .. line) end
      n = n + 1
      ids[n] = id
      sigs[n] = "t=" .. t .. ",v1=" .. sig
    end
    i = i + 1
  end
  if n == 0 then error("no signatures for thread " .. tid) end
  available = n
  used, wrapped = 0, 0
  s200, s202, other2xx, non2xx = 0, 0, 0, 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  used = used + 1
  if used > available then wrapped = 1 end
  local k = (used - 1) % available + 1
  headers["Stripe-Signature"] = sigs[k]
  return wrk.format("POST", path, headers, prefix .. ids[k] .. suffix)
end

function response(status, hdrs, body)
  if status == 202 then
    s202 = s202 + 1
  elseif status == 200 then
    s200 = s200 + 1
  elseif status >= 200 and status < 300 then
    other2xx = other2xx + 1
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local t = { s200 = 0, s202 = 0, other2xx = 0, non2xx = 0, used = 0, available = 0, wrapped = 0 }
  local m
  for _, thread in ipairs(threads) do
    m = thread:get("mode")
    for k in pairs(t) do
      t[k] = t[k] + thread:get(k)
    end
  end
  local e = summary.errors
  io.write(string.format(
    "HOOKGATE mode=%s requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "s202=%d s200=%d other2xx=%d non2xx=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "used=%d available=%d wrapped=%d\n",
    m, summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    t.s202, t.s200, t.other2xx, t.non2xx, e.connect, e.read, e.write, e.status, e.timeout,
    t.used, t.available, t.wrapped))
end
