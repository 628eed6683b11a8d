-- Admit entries of ordered keys. An entry is delivered only while it heads
-- its key's queue; one behind the head is parked in the retry schedule
-- (no attempt record) until release makes it due, or until the park ends
-- and it is looked at again. A head that is no longer pending anywhere in
-- the group (trimmed, or older than the group) is stale and popped; an
-- entry older than the head was never queued (stored before the relay was
-- ordered) and goes unordered.
-- KEYS: retry zset, stream, replay stream, then per entry its queue
-- ARGV: group, park until (unix ms), then per entry its id in the stream
-- Returns per entry 1 to deliver it, 0 when parked.
local function older(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if not am or not bm then
    return false
  end
  am, bm = tonumber(am), tonumber(bm)
  if am ~= bm then
    return am < bm
  end
  return tonumber(as) < tonumber(bs)
end
local function pending(stream, id)
  return redis.call('XPENDING', stream, ARGV[1], id, id, 1)[1] ~= nil
end
local out = {}
for i = 3, #ARGV do
  local id, queue = ARGV[i], KEYS[i + 1]
  local admit = 1
  while true do
    local head = redis.call('LINDEX', queue, 0)
    if not head or head == id then
      break
    end
    local kind = string.sub(head, 1, 1)
    if kind == 'D' then
      admit = 0
      break
    elseif kind == 'R' then
      if pending(KEYS[3], string.sub(head, 2)) then
        admit = 0
        break
      end
    elseif older(id, head) then
      break
    elseif pending(KEYS[2], head) then
      admit = 0
      break
    end
    redis.call('LPOP', queue)
    -- The popped head was to wake the entry behind it: do it here.
    local nxt = redis.call('LINDEX', queue, 0)
    if nxt and nxt ~= id and string.match(nxt, '^%d') then
      redis.call('ZADD', KEYS[1], 'XX', 0, KEYS[2] .. '|' .. nxt)
    end
  end
  -- An admitted entry is in no schedule: one parked before was taken off
  -- it by take.lua, and the reclaim leaves parked ones alone.
  if admit == 0 then
    redis.call('ZADD', KEYS[1], ARGV[2], KEYS[2] .. '|' .. id)
  end
  out[#out + 1] = admit
end
return out
