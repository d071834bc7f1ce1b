/**
 * The server will not relay for this sender.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited|disallowed|refused)/,
	/not permitted to relay/,
	/(?:unable|not allowed|cannot) to relay/,
	/we do not relay/,
	/no relaying/,
	/relay not permitted/,
	/not (?:a )?gateway/,
	/insecure (?:mail )?relay/,
	/relay access/,
	/use me (?:\[[^\]\n]{0,100}\] )?as a relay/,
	/not (?:been )?configured to (?:let you|relay|accept relay)/,
	/email address is not verified/,
	/identities failed the check/,
];
