-- Copy stored entries, fields unchanged, to one relay's replay stream: only
-- that relay's group reads it, so no other relay on the stream sees them
-- again. One batch per call, so a long range never holds Redis for long.
-- KEYS: stream, replay stream
-- ARGV: "range", start ("<ms>" or "(<entry id>"), end, batch size
--    or "ids", then entry ids (those no longer stored are skipped)
-- Returns {entries copied, the last entry id looked at, or "" when the
--          range has no more}
local function copy(entry)
  redis.call('XADD', KEYS[2], '*', unpack(entry[2]))
end
if ARGV[1] == 'range' then
  local n = tonumber(ARGV[4])
  local batch = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[3], 'COUNT', n)
  for _, e in ipairs(batch) do
    copy(e)
  end
  if #batch < n then
    return {#batch, ''}
  end
  return {#batch, batch[#batch][1]}
end
local copied = 0
for i = 2, #ARGV do
  local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if e[1] then
    copy(e[1])
    copied = copied + 1
  end
end
return {copied, ''}
