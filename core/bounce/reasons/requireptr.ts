/**
 * The sending host has no usable reverse DNS name (PTR record).
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/reverse dns/,
	/reverse (?:dns )?lookup/,
	/\bptr\b(?: record)?/,
	/\brdns\b/,
	/no reverse/,
	/cannot find your hostname/,
	/can't find your hostname/,
	/client host .{0,60}(?:unknown|name lookup failed)/,
	/hostname (?:lookup|does not resolve)/,
	/does not have a? ?(?:valid )?reverse/,
	/ip name lookup failed/,
	/without a valid sender domain/,
	/reverse (?:mapping|resolution)/,
	/mismatch(?:es)? client ip/,
	/unverif(?:y|i)able (?:sending |client )?ips?\b/,
];
