-- Finish an entry of an ordered key (ack.lua, then release).
-- KEYS: source stream, retry zset, attempts hash, queue, stream
-- ARGV: group, entry id, retry member, "del" to delete a replayed entry,
--       its queue element, the consumer that takes the next entry or ""
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3])
if ARGV[4] == 'del' then
  redis.call('XDEL', KEYS[1], ARGV[2])
end
return release(KEYS[4], ARGV[5], KEYS[2], KEYS[5], ARGV[1], ARGV[6])
