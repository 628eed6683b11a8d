-- Dead-letter an entry: copy it with its attempt record into the dead
-- stream and finish it, in one step. An entry no longer pending was
-- finished already (a retried call whose first reply was lost): no copy.
-- KEYS: source stream, retry zset, attempts hash, dead stream
-- ARGV: group, entry id, retry member, "del" or "", then field/value pairs
if not redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)[1] then
  return false
end
local id = redis.call('XADD', KEYS[4], '*', unpack(ARGV, 5))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3])
if ARGV[4] == 'del' then
  redis.call('XDEL', KEYS[1], ARGV[2])
end
return id
