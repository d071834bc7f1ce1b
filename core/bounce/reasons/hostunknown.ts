/**
 * The recipient's domain or host does not exist.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/host (?:or domain name )?(?:not found|unknown)/,
	/unknown host/,
	/(?:account|address) or domain may not exist/,
	/domain (?:name )?(?:not found|does not exist|unknown|is not reachable)/,
	/no such domain/,
	/unrouteable (?:mail )?domain/,
	/unknown domain/,
	/name service error/,
	/host not found/,
	/(?:couldn'?t|could not|cannot|can't) find any host/,
	/no (?:mx|mail exchanger|dns|a) (?:or a )?records? for/,
	/no mx for/,
	/invalid domain/,
	/domain (?:is )?(?:not valid|invalid)/,
	/non-?existent (?:domain|host)/,
	/no such host/,
	/unable to resolve/,
	/name or service not known/,
	/recipient domain .{0,40}not (?:found|exist)/,
	/domain lookup failed/,
	/\bnxdomain\b/,
	/address resolution failed/,
	/illegal host(?:\/domain)? ?name/,
	/no route (?:found )?to (?:the )?domain/,
	/\bhost [a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8} not found/,
	/(?:destination (?:server|host)|domain)[^.\n]{0,40} could not be found in (?:the )?(?:domain name service|dns)/,
	/bad destination host/,
	/\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6} does not exist/,
];
