/**
 * An SMTP command was malformed or out of sequence.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/syntax error/,
	/command (?:not recognized|unrecognized)/,
	/malformed (?:recipient )?address/,
	/incorrectly constructed/,
	/bad sequence/,
	/unrecognized command/,
	/command out of sequence/,
	/invalid command/,
	/parameter (?:not implemented|syntax)/,
	/need (?:rcpt|mail)/,
];
