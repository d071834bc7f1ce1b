/**
 * The recipient, or a filter acting for the recipient, refuses this sender or message.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

/**
 * The recipient blocked this sender on a personal list ("Envelope blocked - User Entry").
 */
export const phrases: RegExp[] = [
	/blocked - user entry/,
	/recipient has blocked/,
	/(?:sender|you) (?:is |are |has been |have been )?blocked by (?:the )?recipient/,
	/personal block ?list/,
];

/** Generic words, tried only when neither a specific phrase nor the status code decides. */
export const generic: RegExp[] = [
	/filter(?:ed)?/,
	/content rejected/,
	/user reject/,
	/not authori[sz]ed/,
	/cannot be delivered to this user/,
	/refused by recipient/,
	/not allowed to receive/,
];
