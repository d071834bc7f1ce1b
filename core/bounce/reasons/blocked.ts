/**
 * The sending host is refused: a DNS blocklist, a banned address, a refused connection.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

/**
 * A DNS blocklist named in the reply ("blocked using Example Reputation") is a block, even when
 * the list's name says reputation: tried before reputation.
 */
export const blocklistNamed: RegExp[] = [
	/blocked using\b/,
	/found on (?:one or more )?dnsbls?\b/,
	/listed (?:at|on|in) (?:the )?dnsbl/,
	/(?:which|that) is an open relay/,
	/(?:listed|known) as an open relay/,
];

/**
 * The sending host's own name refused (its HELO / EHLO greeting, its client host): about the
 * sender, so tried before the phrases of an unknown recipient host ("Helo command rejected: Host
 * not found").
 */
export const sendingHost: RegExp[] = [
	/helo command rejected/,
	/(?:helo|ehlo)(?: name| hostname| host| greeting)? .{0,40}(?:rejected|refused|invalid|not found|unknown)/,
];

export const phrases: RegExp[] = [
	/blacklist/,
	/black list/,
	/blocklist/,
	/block list/,
	/denylist/,
	/\brbl\b/,
	/dnsbl/,
	/spamhaus/,
	/spamcop/,
	/sorbs/,
	/barracuda/,
	/listed (?:at|on|in) \S/,
	/blocked using/,
	/client host .{0,100}rejected/,
	/(?:ip|host|connection|sender ip|your ip|client|network) (?:address )?(?:is |has been |was )?(?:blocked|banned|blacklisted|not allowed)/,
	/(?:blocked|banned) (?:ip|host|sending ip|connection)/,
	/service unavailable[;,] client/,
	/refused to talk to me/,
	/\bblocked (?:by|for abuse|due to)/,
	/gr[ae]ylist/,
	/not authori[sz]ed to send (?:e-?mail|mail|messages) directly/,
	/(?:traffic|connections?|mail|messages) (?:will )?not (?:be )?accepted from (?:this|your|the) ip/,
	/service refuse/,
	/invalid ip/,
	/may not be mail exchanger/,
	/not allowed to send/,
];

/** Generic words, tried only when neither a specific phrase nor the status code decides. */
export const generic: RegExp[] = [/\bblocked\b/, /access denied/, /banned/];
