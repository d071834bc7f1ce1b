/**
 * The message is larger than the receiver accepts.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/message (?:is )?too (?:big|large)/,
	/message size (?:exceeds|too large)/,
	/(?:size|length) (?:of (?:the )?message )?exceeds? (?:the )?(?:fixed |maximum |max )/,
	/exceeds (?:the )?(?:maximum|max)(?:imum)? (?:allowed )?(?:message )?size/,
	/mail too large/,
	/too much mail data/,
	/message (?:was )?larger than/,
	/message file too big/,
	/exceeded (?:the )?(?:maximum|max) (?:message )?size/,
	/line limit exceeded/,
	/(?:mail|message|email) size (?:limit )?exceeded/,
	/size limit exceeded/,
	/exceeded (?:the )?(?:mail ?|message ?)size limit/,
];
