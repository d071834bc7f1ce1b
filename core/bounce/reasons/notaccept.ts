/**
 * The domain or host accepts no mail at all (null MX, no SMTP service).
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/does not accept (?:e-?)?mail/,
	/not accepting (?:e-?)?mail/,
	/accepts? no mail/,
	/null mx/,
	/no smtp service/,
	/indicated no smtp/,
	/domain does not receive/,
	/doesn'?t receive (?:e-?)?mail/,
	/does not receive (?:e-?)?mail/,
	/host does not accept/,
	/mail is not accepted/,
	/no mx (?:record )?found/,
	/(?:couldn'?t|could not|cannot|can't) find a mail exchanger/,
];
