/**
 * The few steps Redis must take as one: a sliding one-minute window, and ledger changes that only
 * the holder of a reservation may make. Each runs as a Lua script, atomically, on Redis's clock.
 */

/**
 * KEYS[1] the window (a sorted set of start times); ARGV: limit, window in ms, a unique member.
 * Returns 0 and records a start when one more fits; else the ms until the oldest start that
 * counts leaves the window.
 */
export const WINDOW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return tonumber(oldest[2]) + window - now + 1
`;

export const LEDGER_SCRIPTS = {
	/** KEYS[1] the entry; ARGV: the new entry (JSON), retention ms. The existing entry, or false when set. */
	dcReserve: `
local raw = redis.call('GET', KEYS[1])
if raw then return raw end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`,
	/** KEYS[1] the entry; ARGV: token, the sent facts (JSON), retention ms. 1 when confirmed. */
	dcConfirm: `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.token ~= ARGV[1] then return 0 end
local sent = cjson.decode(ARGV[2])
for k, v in pairs(sent) do entry[k] = v end
entry.state = 'sent'
redis.call('SET', KEYS[1], cjson.encode(entry), 'PX', ARGV[3])
return 1
`,
	/** KEYS[1] the entry; ARGV: token. Deletes an unconfirmed reservation held by the token. */
	dcRelease: `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.token ~= ARGV[1] or entry.state ~= 'reserved' then return 0 end
redis.call('DEL', KEYS[1])
return 1
`,
	/** KEYS[1] the entry; ARGV: the stale token, the new entry (JSON), retention ms. 1 when taken. */
	dcTakeOver: `
local raw = redis.call('GET', KEYS[1])
if raw then
  local entry = cjson.decode(raw)
  if entry.token ~= ARGV[1] or entry.state ~= 'reserved' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`,
};
