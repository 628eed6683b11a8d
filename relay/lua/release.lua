-- release pops mine when it heads queue, so the next entry of its key may
-- go. That next entry, when it is parked (an entry behind its head waits
-- in the retry schedule), is claimed for consumer and returned as a
-- {stream, entry, false} triple, so the worker that finished its head
-- delivers it at once; without a consumer it is only made due now.
-- Shared by the ordered moves: it is prepended to their scripts.
local function release(queue, mine, retry, stream, group, consumer)
  if redis.call('LINDEX', queue, 0) ~= mine then
    return false
  end
  redis.call('LPOP', queue)
  local nxt = redis.call('LINDEX', queue, 0)
  if not nxt or not string.match(nxt, '^%d') then
    return false
  end
  local member = stream .. '|' .. nxt
  if not redis.call('ZSCORE', retry, member) then
    -- Not parked: whoever holds it admits it as the head.
    return false
  end
  if consumer == '' then
    redis.call('ZADD', retry, 0, member)
    return false
  end
  redis.call('ZREM', retry, member)
  local claimed = redis.call('XCLAIM', stream, group, consumer, 0, nxt)
  if claimed[1] then
    return {stream, claimed[1], false}
  end
  return false
end
