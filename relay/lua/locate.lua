-- Look for one event in a batch of a stream's entries, newest first, and
-- send back only where it is: the bodies stay in Redis. The field names are
-- those entry.go stores (id, source, tenant).
-- KEYS: stream (the event stream, a replay or a dead-letter stream)
-- ARGV: end ("+" or "(<entry id>"), batch size, source, tenant, event id
-- Returns {matching entry id or "", next end or "" when the stream ended,
--          entries looked at}
local n = tonumber(ARGV[2])
local batch = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', n)
for i, e in ipairs(batch) do
  local kv = e[2]
  local id, source, tenant
  for j = 1, #kv, 2 do
    local k = kv[j]
    if k == 'id' then
      id = kv[j + 1]
    elseif k == 'source' then
      source = kv[j + 1]
    elseif k == 'tenant' then
      tenant = kv[j + 1]
    end
  end
  if id == ARGV[5] and source == ARGV[3] and tenant == ARGV[4] then
    return {e[1], '', i}
  end
end
if #batch < n then
  return {'', '', #batch}
end
return {'', '(' .. batch[#batch][1], #batch}
