-- Replay dead letters: copy each one's original fields to the relay's
-- replay stream and delete it from the dead stream, in one step. A dead
-- head that blocks its key (dead_ordered.lua) hands its place in the queue
-- to its replayed copy, so the key goes on once the copy is finished.
-- KEYS: dead stream, replay stream
-- ARGV: dead entry ids
-- Returns how many were replayed.
local n = 0
for _, id in ipairs(ARGV) do
  local entry = redis.call('XRANGE', KEYS[1], id, id)
  if entry[1] then
    local fields = {}
    local queue, mine
    local kv = entry[1][2]
    for i = 1, #kv, 2 do
      if string.sub(kv[i], 1, 5) ~= 'dead:' then
        table.insert(fields, kv[i])
        table.insert(fields, kv[i + 1])
      elseif kv[i] == 'dead:order' then
        queue = kv[i + 1]
      elseif kv[i] == 'dead:entry' then
        mine = 'D' .. kv[i + 1]
      end
    end
    local copy = redis.call('XADD', KEYS[2], '*', unpack(fields))
    if queue and mine and redis.call('LINDEX', queue, 0) == mine then
      redis.call('LSET', queue, 0, 'R' .. copy)
    end
    redis.call('XDEL', KEYS[1], id)
    n = n + 1
  end
end
return n
