/**
 * The receiving system failed (an internal error, a busy or unavailable service).
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/system (?:error|problem|failure|not available)/,
	/internal (?:server )?error/,
	/local error/,
	/local problem/,
	/error in processing/,
	/temporary (?:system|server) (?:problem|error|failure)/,
	/server error/,
	/mail system (?:problem|error)/,
	/i\/o error/,
	/server (?:is )?(?:busy|unavailable|misconfigured)/,
	/configuration error/,
	/resources? (?:temporarily )?unavailable/,
	/service (?:currently |temporarily )?unavailable/,
	/processing error/,
	/unexpected error/,
	/out of memory/,
	/queue file write error/,
	/unable to contact/,
	/ldap (?:error|lookup|failure|server|timeout)/,
];

/** Generic words, tried only when neither a specific phrase nor the status code decides. */
export const generic: RegExp[] = [/other mail system problem/, /transaction failed/];
