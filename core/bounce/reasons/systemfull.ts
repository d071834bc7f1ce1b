/**
 * The receiving system is out of storage.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/insufficient system (?:storage|resources)/,
	/system (?:storage|disk) (?:is )?full/,
	/out of (?:disk|storage) space/,
	/disk full/,
	/not enough disk/,
];
