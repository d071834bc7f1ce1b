export function gmailBounce(input: {
	sender: string;
	recipient: string;
	kind: 'unknown' | 'full' | 'delay';
	original: string;
	originalMessageId?: string;
	date?: Date;
}): string;
export const BOUNCE_KINDS: string[];
