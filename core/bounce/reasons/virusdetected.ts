/**
 * The message carries a virus or other malware.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/(?<![\w-])virus(?![\w-])/,
	/malware/,
	/infected/,
	/\btrojan\b/,
	/malicious (?:content|attachment|payload)/,
];
