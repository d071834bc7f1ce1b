/**
 * The network or DNS failed on the way (lookups, loops, connections).
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

/**
 * DNS failures and mail loops: tried before the domain and host phrases.
 */
export const routing: RegExp[] = [
	/dns error/,
	/temporary (?:dns|lookup) failure/,
	/not found, try again/,
	/name server timeout/,
	/too many hops/,
	/mail loop/,
	/routing loop/,
	/loops? (?:back|detected)/,
	/hop count/,
];

export const phrases: RegExp[] = [
	/network (?:error|is unreachable|unreachable|problem)/,
	/no route to host/,
	/connection (?:reset|refused|lost|closed|dropped)/,
	/lost connection/,
	/could not connect/,
	/unable to connect/,
	/unreachable/,
	/not reachable/,
];
