-- Delete a consumer that is gone, but only with nothing pending: deleting
-- a consumer drops its pending entries, and with them the events.
-- KEYS: stream
-- ARGV: group, consumer
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
