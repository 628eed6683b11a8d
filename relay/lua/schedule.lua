-- Schedule a retry. The entry stays pending in the group, so a crash from
-- here on loses nothing: either the schedule or the reclaim (reclaim.lua: XPENDING, XCLAIM) brings it back.
-- KEYS: retry zset, attempts hash
-- ARGV: due unix ms, retry member, attempt record
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
