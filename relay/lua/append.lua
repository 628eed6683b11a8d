-- Dedupe and append a batch of events to one stream, atomically per event.
-- KEYS[1]   the stream; KEYS[1+i] the dedupe key of event i.
-- ARGV      per event: ttl seconds, n, then n stream field/value strings.
-- Returns   per event the new stream entry id, or "" for a duplicate.
-- XADD runs before SET: if the append fails, no dedupe key is left behind
-- to turn the provider's retry into a false duplicate.
local out = {}
local a = 1
for i = 2, #KEYS do
  local ttl = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  local first = a + 2
  a = first + n
  if redis.call('EXISTS', KEYS[i]) == 1 then
    out[i - 1] = ''
  else
    local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, first, first + n - 1))
    redis.call('SET', KEYS[i], id, 'EX', ttl)
    out[i - 1] = id
  end
end
return out
