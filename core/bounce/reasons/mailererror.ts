/**
 * The local delivery program (a pipe, procmail) failed.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/mailer error/,
	/command output/,
	/\bprocmail\b/,
	/unknown mailer/,
	/exit (?:code|status) \d/,
	/returned exit/,
	/pipe to \S/,
	/command died/,
	/program exited/,
];
