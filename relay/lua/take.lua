-- Take the retries that are due: remove them from the schedule and claim
-- their entries for this consumer. Should the process die now, the entries
-- are still pending and the reclaim (reclaim.lua) hands them to another consumer.
-- KEYS: retry zset, attempts hash, then every stream a member may name
-- ARGV: group, consumer, now unix ms, limit
-- Returns {stream, entry, attempt record or false} triples.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  local stream, id = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local claimed = redis.call('XCLAIM', stream, ARGV[1], ARGV[2], 0, id)
  local record = redis.call('HGET', KEYS[2], member)
  if claimed[1] then
    table.insert(out, {stream, claimed[1], record})
  else
    -- Trimmed or deleted while waiting: nothing left to deliver.
    redis.call('HDEL', KEYS[2], member)
  end
end
return out
