/**
 * The message was judged to be spam.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/\bspam\b/,
	/\bspammy\b/,
	/\bube\b/,
	/\buce\b/,
	/junk mail/,
	/looks like (?:spam|junk)/,
	/spam ?(?:score|filter|detected|content)/,
	/classified as (?:spam|junk)/,
	/scored as spam/,
	/message content rejected/,
	/blacklisted url/,
	/likely unsolicited/,
	/unsolicited (?:bulk |commercial )?(?:mail|e-?mail|message)/,
];
