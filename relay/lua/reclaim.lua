-- Reclaim entries idle past claim_after, leaving out those waiting for a
-- scheduled retry (take.lua brings them back when due). One script, so a
-- take() by another process cannot slip between the claim and the check.
-- KEYS: stream, retry zset, attempts hash
-- ARGV: group, consumer, min idle ms, count
-- Returns {stream, entry, attempt record or false} triples, as take.lua.
local res = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', ARGV[4])
local out = {}
for _, entry in ipairs(res[2]) do
  local member = KEYS[1] .. '|' .. entry[1]
  if not redis.call('ZSCORE', KEYS[2], member) then
    table.insert(out, {KEYS[1], entry, redis.call('HGET', KEYS[3], member)})
  end
end
return out
