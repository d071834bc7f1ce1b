/**
 * The sender (the envelope sender, its address or domain) is refused.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/sender (?:address )?(?:rejected|refused|denied|is not allowed|unknown|invalid|verify failed)/,
	/sender was rejected/,
	/domain of sender/,
	/sender domain .{0,40}(?:not|invalid|unknown|exist)/,
	/(?:envelope sender|return[- ]path|from address) .{0,60}(?:rejected|invalid|refused|not allowed)/,
	/bad sender/,
	/invalid sender/,
	/unknown sender/,
	/from:? domain (?:is )?(?:invalid|not valid)/,
	/provide a valid from/,
	/purported responsible address/,
	/not allowed to post/,
	/permission to post/,
	/(?:from|sender|sending (?:to\/)?from an?) address (?:that )?(?:has been|is) (?:blacklisted|blocklisted|blocked)/,
	/don'?t have permission/,
	/does not have permission/,
	/resolver\.rst\.(?:notauthorized|restricted)/,
	/permission to send to (?:this|the) (?:group|distribution list)/,
];

/** Generic words, tried only when neither a specific phrase nor the status code decides. */
export const generic: RegExp[] = [/rejected/, /refused/, /you are not allowed/, /denied/];

/** Generic words, tried only when neither a specific phrase nor the status code decides. */
export const googleGroups: RegExp[] = [/groups\.google\.com/];
