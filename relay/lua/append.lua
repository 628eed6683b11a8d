-- Dedupe and append a batch of events to one stream, atomically per event.
-- KEYS[1]   the stream; then, per event, its k dedupe keys (one per scope).
-- ARGV      per event: k, ttl seconds, n, then n stream field/value strings.
-- Returns   per event the new stream entry id, or "" for a duplicate: an
--           event seen under any of its keys.
-- XADD runs before SET: if the append fails, no dedupe key is left behind
-- to turn the provider's retry into a false duplicate.
local out = {}
local a, k = 1, 2
while a <= #ARGV do
  local nk = tonumber(ARGV[a])
  local ttl = ARGV[a + 1]
  local n = tonumber(ARGV[a + 2])
  local first = a + 3
  a = first + n
  local last = k + nk - 1
  if redis.call('EXISTS', unpack(KEYS, k, last)) > 0 then
    out[#out + 1] = ''
  else
    local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, first, first + n - 1))
    for j = k, last do
      redis.call('SET', KEYS[j], id, 'EX', ttl)
    end
    out[#out + 1] = id
  end
  k = last + 1
end
return out
