-- Release the keys held by dead heads (dead_ordered.lua with "block")
-- whose dead letters retention is about to trim: once its letter is gone,
-- nothing could replay or purge it, and its key would wait for ever.
-- KEYS: dead stream, retry zset, stream
-- ARGV: the trim's min id, most letters looked at, where to start ("-" or
--       "(<id>")
-- Returns {how many letters were looked at, the last one's id}.
local old = redis.call('XRANGE', KEYS[1], ARGV[3], '(' .. ARGV[1], 'COUNT', tonumber(ARGV[2]))
for _, e in ipairs(old) do
  local queue, mine
  local kv = e[2]
  for i = 1, #kv, 2 do
    if kv[i] == 'dead:order' then
      queue = kv[i + 1]
    elseif kv[i] == 'dead:entry' then
      mine = 'D' .. kv[i + 1]
    end
  end
  if queue and mine then
    release(queue, mine, KEYS[2], KEYS[3], '', '')
  end
end
if #old == 0 then
  return {0, ''}
end
return {#old, old[#old][1]}
