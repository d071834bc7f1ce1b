/**
 * The sender's standing (IP or domain reputation) is too low.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

/**
 * A refusal that names the sender's low standing ("very low reputation of the sending domain")
 * is about reputation, even when it adds that this protects users from spam: tried before spam.
 */
export const lowStanding: RegExp[] = [
	/\b(?:low|poor|bad|negative)(?: sending)? (?:ip |domain |sender )?reputation\b/,
	/(?:reputation of|reputation for) (?:the |your )?(?:sending|sender)/,
];

export const phrases: RegExp[] = [/reputation/, /sender score/, /poor (?:sending )?history/];
