-- Count a batch of stream entries from a cursor without sending them: only
-- the count and the last id leave Redis.
-- KEYS: stream
-- ARGV: start ("-" or "(<entry id>"), batch size
-- Returns {entries counted, the last one's id or "" when the stream ended}
local batch = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', tonumber(ARGV[2]))
if #batch < tonumber(ARGV[2]) then
  return {#batch, ''}
end
return {#batch, batch[#batch][1]}
