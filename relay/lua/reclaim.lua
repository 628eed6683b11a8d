-- Reclaim entries idle past claim_after, leaving alone those waiting for a
-- scheduled retry: take.lua brings them back when due, and claiming them
-- would only reset their idle time and change their owner. XPENDING looks
-- without touching anything, and the scan goes on from the cursor the last
-- call returned, so a backlog of scheduled retries cannot keep it from
-- reaching a dead consumer's entries behind them. One script, so a take()
-- by another process cannot slip between the look and the claim.
-- KEYS: stream, retry zset, attempts hash
-- ARGV: group, consumer, min idle ms, claim at most, scan at most,
--       cursor ("-" or "(<entry id>")
-- Returns {next cursor, {{stream, entry, attempt record or false}...}}
local limit, scan = tonumber(ARGV[4]), tonumber(ARGV[5])
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], ARGV[6], '+', scan)
local out, cursor = {}, '-'
for _, p in ipairs(pending) do
  if #out >= limit then
    break
  end
  cursor = '(' .. p[1]
  local member = KEYS[1] .. '|' .. p[1]
  if not redis.call('ZSCORE', KEYS[2], member) then
    -- XCLAIM drops an entry deleted meanwhile from the group, returning nothing.
    local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], p[1])
    if claimed[1] then
      table.insert(out, {KEYS[1], claimed[1], redis.call('HGET', KEYS[3], member)})
    end
  end
end
if #pending < scan and #out < limit then
  cursor = '-' -- the end: start over next time
end
return {cursor, out}
