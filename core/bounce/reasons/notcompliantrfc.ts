/**
 * The message breaks the message format standards (RFC 5322 headers).
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/rfc ?(?:2822|5322|5321)/,
	/not rfc ?822 compliant/,
	/not (?:rfc|standards?)[ -]compliant/,
	/multiple (?:from|to|subject|date|message-id) headers/,
	/multiple .{0,30}addresses in from/,
	/duplicate (?:header|headers)/,
	/header (?:is )?(?:malformed|not compliant)/,
	/not compliant with/,
];
