/**
 * The sender failed authentication or another security requirement of the server.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/authentication (?:required|is required|failed|failure|credentials invalid)/,
	/auth(?:entication)? required/,
	/unauthenticated senders?/,
	/not authenticated/,
	/must (?:be )?authenticat/,
	/smtp authentication/,
	/sender (?:address )?(?:not )?verif/,
	/certificate/,
	/security (?:error|violation)/,
	/insecure/,
	/authorization required/,
	/login required/,
];
