/**
 * The message content or its encoding is malformed.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/content (?:error|problem)/,
	/invalid (?:content|mime|message|header)/,
	/improper use of 8-bit/,
	/8-?bit data/,
	/malformed(?! (?:recipient )?address)/,
	/message (?:content|body) (?:is )?(?:invalid|not acceptable)/,
	/bad (?:message|header|mime)/,
	/encoding (?:problem|error)/,
	/header (?:error|syntax)/,
	/headers? (?:too long|invalid)/,
];
