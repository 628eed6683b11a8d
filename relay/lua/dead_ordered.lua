-- Dead-letter an entry of an ordered key (dead.lua), then either release
-- its key ("skip") or, when it heads the queue, mark it the dead head that
-- blocks the key ("block"): "D"+entry id, until its dead letter is replayed
-- (replay.lua) or purged (purge.lua). The dead letter names its queue in
-- dead:order for them.
-- KEYS: source stream, retry zset, attempts hash, dead stream, queue, stream
-- ARGV: group, entry id, retry member, "del" or "", queue element,
--       consumer or "", "skip" or "block", then field/value pairs
-- Returns the next entry claimed, as release does, or false.
if not redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)[1] then
  return false
end
local fields = {unpack(ARGV, 8)}
local blocks = ARGV[7] == 'block' and redis.call('LINDEX', KEYS[5], 0) == ARGV[5]
if blocks then
  table.insert(fields, 'dead:order')
  table.insert(fields, KEYS[5])
end
redis.call('XADD', KEYS[4], '*', unpack(fields))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3])
if ARGV[4] == 'del' then
  redis.call('XDEL', KEYS[1], ARGV[2])
end
if blocks then
  redis.call('LSET', KEYS[5], 0, 'D' .. ARGV[2])
  return false
end
return release(KEYS[5], ARGV[5], KEYS[2], KEYS[6], ARGV[1], ARGV[6])
