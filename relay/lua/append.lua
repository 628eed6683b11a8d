-- Dedupe and append a batch of events to one stream, atomically per event.
-- KEYS[1]   the stream; then, per event, its k dedupe keys (one per scope),
--           when it has one, its replay key, and its q ordering queues
--           (one per ordered relay: relay/ordered.go).
-- ARGV      per event: k, ttl seconds, replay ttl seconds (0: no replay
--           key; -1: the event shares the previous one's, as the rest of
--           a batch does, and is a replay when that one was), n, q, the
--           replay owner when the replay ttl is above 0, then n stream
--           field/value strings.
-- Returns   per event the new stream entry id, "" for a duplicate (an
--           event seen under any of its keys), or "!" for a replay: its
--           replay key (a signed value the sender never signs twice, such
--           as a JWT's jti) already names another event.
-- No dedupe key outlives a failed append, so a provider's retry of an event
-- that was not stored is never taken for a duplicate: one key is claimed
-- with SET NX (one call where EXISTS and SET were two) and deleted again if
-- XADD fails; several keys are checked with EXISTS and set after XADD.
-- A dedupe key's value is "1": only its existence is ever read. A replay
-- key's value is its owner: what the value was first signed for (the
-- event's first dedupe key, or a batch's whole body), so the same event
-- sent again under it is a duplicate, not a replay. It is claimed for a
-- duplicate too: a sender's retry under a fresh value spends that value,
-- or whoever captured the retry could sign another event with it.
local out = {}
local a, k = 1, 2
while a <= #ARGV do
  local nk = tonumber(ARGV[a])
  local ttl = ARGV[a + 1]
  local rttl = tonumber(ARGV[a + 2])
  local nq = tonumber(ARGV[a + 4])
  local first = a + 5
  local rk, owner = nil, nil
  local last = k + nk - 1
  if rttl > 0 then
    rk = KEYS[last + 1]
    owner = ARGV[first]
    first = first + 1
  end
  a = first + tonumber(ARGV[a + 3])
  local id = ''
  local prev = rk and redis.call('GET', rk)
  if (prev and prev ~= owner) or (rttl < 0 and out[#out] == '!') then
    id = '!'
  elseif nk == 1 then
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
  if rk and id ~= '!' and not prev then
    redis.call('SET', rk, owner, 'EX', rttl)
  end
  out[#out + 1] = id
  k = last + 1
  if rk then
    k = k + 1
  end
  if id ~= '' and id ~= '!' then
    for j = k, k + nq - 1 do
      redis.call('RPUSH', KEYS[j], id)
    end
  end
  k = k + nq
end
return out
