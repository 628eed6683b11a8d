-- Finish an entry: acknowledge it and forget its retry and attempts.
-- KEYS: source stream, retry zset, attempts hash
-- ARGV: group, entry id, retry member, "del" to delete a replayed entry
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3])
if ARGV[4] == 'del' then
  redis.call('XDEL', KEYS[1], ARGV[2])
end
return 1
