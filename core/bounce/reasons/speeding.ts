/**
 * The sender sent too much or too fast.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

/**
 * Too many messages in a period: tried before the connection limits.
 */
export const volume: RegExp[] = [
	/too many (?:recipients|messages|mails|emails)(?: sent)? (?:this|per|in the last|in an?|within) (?:hour|minute|day|\d)/,
	/(?:hourly|daily) (?:sending |message )?(?:limit|quota)/,
	/(?:sent|sending) too many (?:messages|mails|emails)/,
	/sending (?:limit|quota) (?:exceeded|reached)/,
	/(?:exceeded|reached) (?:your |the |a )?(?:daily |hourly )?(?:limit for sending|sending (?:limit|quota))/,
	/(?:daily|hourly) user sending/,
];

export const phrases: RegExp[] = [
	/rate ?limit/,
	/sending (?:too fast|rate)/,
	/throttl/,
	/slow down/,
	/exceeded (?:the )?(?:sending|message) (?:rate|limit)/,
];
