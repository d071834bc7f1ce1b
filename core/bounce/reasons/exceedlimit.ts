/**
 * The message exceeds a limit the recipient or the receiving site set.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/message length exceeds/,
	/length exceeds (?:the )?limit/,
	/limit set by recipient/,
	/exceed(?:s|ed)? (?:the )?(?:recipient|receiving) limit/,
	/exceeds? (?:the )?(?:administrative|local) limit/,
];
