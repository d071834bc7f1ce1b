/**
 * The message failed the receiver's sender authentication (SPF, DKIM, DMARC).
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/\b(?:dmarc|spf|dkim)\b.{0,80}\b(?:fail|failed|failure|reject|verification|policy|check|not pass|does not pass)/,
	/unauthenticated (?:email|mail)/,
	/(?:sender|message) (?:failed|fails) (?:authentication|spf|dkim|dmarc)/,
	/\bsender policy framework\b/,
	/not authenticated by (?:spf|dkim)/,
	/authentication checks? (?:failed|did not pass)/,
	/does not have authentication information/,
];
