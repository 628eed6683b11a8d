-- Dedupe and append a batch of events to one stream, atomically per event.
-- KEYS[1]   the stream; then, per event, its k dedupe keys (one per scope).
-- ARGV      per event: k, ttl seconds, n, then n stream field/value strings.
-- Returns   per event the new stream entry id, or "" for a duplicate: an
--           event seen under any of its keys.
-- No dedupe key outlives a failed append, so a provider's retry of an event
-- that was not stored is never taken for a duplicate: one key is claimed
-- with SET NX (one call where EXISTS and SET were two) and deleted again if
-- XADD fails; several keys are checked with EXISTS and set after XADD.
-- A key's value is "1": only its existence is ever read.
local out = {}
local a, k = 1, 2
while a <= #ARGV do
  local nk = tonumber(ARGV[a])
  local ttl = ARGV[a + 1]
  local first = a + 3
  a = first + tonumber(ARGV[a + 2])
  local last = k + nk - 1
  local id = ''
  if nk == 1 then
    if redis.call('SET', KEYS[k], '1', 'NX', 'EX', ttl) then
      id = redis.pcall('XADD', KEYS[1], '*', unpack(ARGV, first, a - 1))
      if type(id) == 'table' then
        redis.call('DEL', KEYS[k])
        return id
      end
    end
  elseif redis.call('EXISTS', unpack(KEYS, k, last)) == 0 then
    id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, first, a - 1))
    for j = k, last do
      redis.call('SET', KEYS[j], '1', 'EX', ttl)
    end
  end
  out[#out + 1] = id
  k = last + 1
end
return out
