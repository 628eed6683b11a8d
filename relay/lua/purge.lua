-- Purge dead letters. One that is the dead head of its key (dead_ordered.lua
-- with "block") releases the key: the next entry is made due.
-- KEYS: dead stream, retry zset, stream
-- ARGV: dead entry ids
-- Returns how many were purged.
local n = 0
for _, id in ipairs(ARGV) do
  local entry = redis.call('XRANGE', KEYS[1], id, id)
  if entry[1] then
    local queue, mine
    local kv = entry[1][2]
    for i = 1, #kv, 2 do
      if kv[i] == 'dead:order' then
        queue = kv[i + 1]
      elseif kv[i] == 'dead:entry' then
        mine = 'D' .. kv[i + 1]
      end
    end
    redis.call('XDEL', KEYS[1], id)
    if queue and mine then
      release(queue, mine, KEYS[2], KEYS[3], '', '')
    end
    n = n + 1
  end
end
return n
