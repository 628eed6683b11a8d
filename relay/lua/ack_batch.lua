-- Finish a batch of delivered entries of one partition: ack them, forget
-- their retries and attempt records, and release the ordered keys they
-- head (release.lua).
-- KEYS: stream, replay stream, retry zset, attempts hash, then queues
-- ARGV: group, the consumer that takes released entries or "", n, m, then
--       n stream entry ids, m replay stream entry ids (deleted once
--       finished), then per ordered entry its queue's index in KEYS
--       counting from 5, and its queue element
-- Returns {released entries claimed for the consumer, as release returns
-- them; the KEYS index of the queue of each}.
local group, consumer = ARGV[1], ARGV[2]
local n, m = tonumber(ARGV[3]), tonumber(ARGV[4])
local members = {}
if n > 0 then
  redis.call('XACK', KEYS[1], group, unpack(ARGV, 5, 4 + n))
  for i = 5, 4 + n do
    members[#members + 1] = KEYS[1] .. '|' .. ARGV[i]
  end
end
if m > 0 then
  redis.call('XACK', KEYS[2], group, unpack(ARGV, 5 + n, 4 + n + m))
  redis.call('XDEL', KEYS[2], unpack(ARGV, 5 + n, 4 + n + m))
  for i = 5 + n, 4 + n + m do
    members[#members + 1] = KEYS[2] .. '|' .. ARGV[i]
  end
end
if #members > 0 then
  redis.call('ZREM', KEYS[3], unpack(members))
  redis.call('HDEL', KEYS[4], unpack(members))
end
local out, at = {}, {}
for i = 5 + n + m, #ARGV, 2 do
  local nxt = release(KEYS[tonumber(ARGV[i])], ARGV[i + 1], KEYS[3], KEYS[1], group, consumer)
  if nxt then
    out[#out + 1] = nxt
    at[#at + 1] = tonumber(ARGV[i])
  end
end
return {out, at}
