/**
 * The receiver requires an encrypted (STARTTLS) connection the sender could not set up.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/starttls/,
	/tls (?:is )?(?:required|negotiation failed|handshake)/,
	/encryption required/,
	/requires? (?:a )?secure connection/,
	/(?:does not|doesn'?t|did not) (?:support|offer) (?:tls|ssl)/,
];
