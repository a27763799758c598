/**
 * Lua scripts that settle a stream entry atomically, so a crash between two steps can neither lose a message
 * nor duplicate it. Each acknowledges the entry in its group first and does nothing more when it was no
 * longer pending there (another consumer already settled it). Time comes from the server (`TIME`), so the
 * due times of delayed retries do not depend on the clocks of the clients.
 */

/** `XACK`, then `XDEL` when ARGV[3] is `1` (entries of a group's own retry stream). KEYS: source. ARGV: group, id, del. */
export const ACK_SCRIPT = `
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
return acked
`;

/**
 * Acks the entry and schedules its retry: appended to the group's retry stream at once when the delay is 0,
 * else added to the delayed set scored by due time (server milliseconds).
 * KEYS: source, delayed set, retry stream. ARGV: group, id, delayMs, unique token, envelope JSON, del.
 */
export const RETRY_SCRIPT = `
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[6] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
if acked == 0 then return 0 end
local delay = tonumber(ARGV[3])
if delay <= 0 then
  redis.call('XADD', KEYS[3], '*', 'envelope', ARGV[5])
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[2], now + delay, ARGV[4] .. ' ' .. ARGV[5])
end
return 1
`;

/**
 * Acks the entry and appends the dead-letter envelope to the dead-letter stream.
 * KEYS: source, dead-letter stream. ARGV: group, id, dead-letter envelope JSON, del, maxLen ('' for none).
 */
export const DEAD_LETTER_SCRIPT = `
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
if acked == 0 then return 0 end
if ARGV[5] == '' then
  redis.call('XADD', KEYS[2], '*', 'envelope', ARGV[3])
else
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'envelope', ARGV[3])
end
return 1
`;

/**
 * Moves up to ARGV[1] delayed retries that are due into the retry stream; returns how many it moved.
 * KEYS: delayed set, retry stream.
 */
export const MOVE_DUE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local sep = string.find(member, ' ', 1, true)
  if sep then redis.call('XADD', KEYS[2], '*', 'envelope', string.sub(member, sep + 1)) end
  redis.call('ZREM', KEYS[1], member)
end
return #due
`;
