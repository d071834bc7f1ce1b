/**
 * The recipient has moved to another address.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/has moved/,
	/address (?:has )?changed/,
	/no longer (?:at|with) this address/,
	/user has moved/,
	/new (?:e-?mail )?address is/,
];
