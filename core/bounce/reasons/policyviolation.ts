/**
 * The message breaks a policy of the receiving site.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/\bpolic(?:y|ies)\b/,
	/not accepted (?:due to|for) .{0,20}reasons/,
	/prohibited (?:attachment|file|content)/,
	/attachment (?:type|extension)? ?(?:not allowed|blocked|prohibited|rejected)/,
	/presents a potential security issue/,
	/blocked because (?:of )?its content/,
	/violat/,
];
