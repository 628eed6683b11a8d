-- Before an attempt on an entry held for a while: is it still ours? If so,
-- reset its idle time so no other consumer reclaims it mid-attempt; if
-- another consumer took it over, the caller drops it.
-- KEYS: stream
-- ARGV: group, consumer, entry id
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if p[1] and p[1][2] == ARGV[2] then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
  return 1
end
return 0
