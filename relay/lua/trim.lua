-- Trim a stream by age, but never past an entry a consumer group has not
-- finished: one still pending (in flight, or waiting for a scheduled
-- retry), or one the group has not read yet. One script, so no group can
-- read or fall behind between the look and the trim.
-- KEYS: stream
-- ARGV: the age bound as a stream id ("<unix ms>-0")
-- Returns {the id trimmed below, the group that held it back or false}
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function before(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {ARGV[1], false}
end
local bound, holder = ARGV[1], false
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local info = {}
  for i = 1, #g, 2 do
    info[g[i]] = g[i + 1]
  end
  local first
  if info['pending'] > 0 then
    first = redis.call('XPENDING', KEYS[1], info['name'])[2]
  else
    -- Nothing pending: the group's first unfinished entry is the next one
    -- after the last it read.
    local ms, seq = parse(info['last-delivered-id'])
    first = string.format('%d-%d', ms, seq + 1)
  end
  if before(first, bound) then
    bound, holder = first, info['name']
  end
end
redis.call('XTRIM', KEYS[1], 'MINID', '~', bound)
return {bound, holder}
