-- Dead-letter an entry: copy it with its attempt record into the dead
-- stream and finish it, in one step.
-- KEYS: source stream, retry zset, attempts hash, dead stream
-- ARGV: group, entry id, retry member, "del" or "", then field/value pairs
local id = redis.call('XADD', KEYS[4], '*', unpack(ARGV, 5))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3])
if ARGV[4] == 'del' then
  redis.call('XDEL', KEYS[1], ARGV[2])
end
return id
