/**
 * The mailbox exists but is switched off (disabled, suspended, inactive).
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/(?:account|mailbox|user|address|recipient) (?:is |has been |was )?(?:disabled|suspended|deactivated|inactive|frozen)/,
	/(?:account|mailbox|user|address|recipient) (?:is |has been |was )?(?:closed|expired|not active)/,
	/(?:account|mailbox|user|address|recipient) (?:is |has been |was )?temporarily (?:disabled|locked|unavailable)/,
	/(?:disabled|suspended|inactive|deactivated|frozen) (?:account|mailbox|user)/,
	/temporar(?:y|ily) locked/,
	/account (?:that you tried to reach )?is disabled/,
	/has been disabled/,
	/discontinued/,
	/no longer (?:active|in use)/,
	/account (?:has been )?(?:terminated|removed|canceled|cancelled)/,
	/mailbox (?:is )?unavailable due to inactivity/,
	/user (?:is )?not active/,
	/not currently active/,
	/account is blocked/,
];
