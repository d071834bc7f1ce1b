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

/**
 * KEYS[1] the window; ARGV: the member a WINDOW_SCRIPT call recorded, the window in ms. Moves the
 * member's start to now (the message reached the server), if it is still in the window.
 */
export const RESTAMP_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
`;

/** Redis's clock in ms, for leases every worker judges alike. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Writes `entry` back keeping the key's expiry (PTTL, not KEEPTTL: Redis before 6 has none). */
const WRITE_BACK = `
local function writeBack(entry)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('SET', KEYS[1], cjson.encode(entry), 'PX', ttl)
  else
    redis.call('SET', KEYS[1], cjson.encode(entry))
  end
end
`;

/** A new reservation from ARGV[1] with a lease of ARGV[3] ms (none for 0), kept ARGV[2] ms. */
const WRITE_RESERVATION = `
local fresh = cjson.decode(ARGV[1])
local lease = tonumber(ARGV[3])
if lease > 0 then fresh.leaseUntil = now + lease end
redis.call('SET', KEYS[1], cjson.encode(fresh), 'PX', ARGV[2])
`;

export const LEDGER_SCRIPTS = {
	/**
	 * KEYS[1] the entry; ARGV: the new entry (JSON), retention ms, lease ms (0: none). {1} when
	 * reserved, {1, old} when it took over an abandoned reservation (never started, lease passed),
	 * {0, existing} when the key is held or used.
	 */
	dcReserve:
		NOW +
		`
local raw = redis.call('GET', KEYS[1])
if raw then
  local old = cjson.decode(raw)
  if old.state ~= 'reserved' or old.startedAt or type(old.leaseUntil) ~= 'number'
    or old.leaseUntil > now then
    return {0, raw}
  end
end
` +
		WRITE_RESERVATION +
		`
if raw then return {1, raw} end
return {1}
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
	/** KEYS[1] the entry; ARGV: token, when (ISO 8601). 1 when the token holds it (now started). */
	dcStart:
		WRITE_BACK +
		`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.token ~= ARGV[1] or entry.state ~= 'reserved' then return 0 end
if not entry.startedAt then
  entry.startedAt = ARGV[2]
  writeBack(entry)
end
return 1
`,
	/** KEYS[1] the entry; ARGV: token, lease ms. 1 when the token holds it (lease renewed). */
	dcRenew:
		NOW +
		WRITE_BACK +
		`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.token ~= ARGV[1] or entry.state ~= 'reserved' then return 0 end
if not entry.startedAt then
  entry.leaseUntil = now + tonumber(ARGV[2])
  writeBack(entry)
end
return 1
`,
	/**
	 * KEYS[1] the entry; ARGV: the new entry (JSON), retention ms, lease ms (0: none), the stale
	 * token. 1 when taken.
	 */
	dcTakeOver:
		NOW +
		`
local raw = redis.call('GET', KEYS[1])
if raw then
  local entry = cjson.decode(raw)
  if entry.token ~= ARGV[4] or entry.state ~= 'reserved' then return 0 end
end
` +
		WRITE_RESERVATION +
		`
return 1
`,
};
