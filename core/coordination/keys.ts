/**
 * Idempotency keys: how long they are remembered, which ones are accepted, and the delivery id a key
 * always gives, so a repeat of the same send carries the same Message-ID and can be found in Sent.
 */
import { createHash } from 'node:crypto';

/** How long a used key is remembered: a second send with it within this period sends nothing. */
export const KEY_RETENTION_DAYS = 45;
export const KEY_RETENTION_MS = KEY_RETENTION_DAYS * 24 * 60 * 60 * 1000;

/** What a key may hold: 1 to 255 visible ASCII characters (the MSC API's rule, used everywhere). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** Why `key` is not a usable idempotency key, or undefined when it is. */
export function keyProblem(key: string): string | undefined {
	if (key.length === 0) return 'it is empty';
	if (key.length > 255) return `it has ${key.length} characters, at most 255 are allowed`;
	if (!KEY_SHAPE.test(key))
		return 'it may hold only visible ASCII characters (no spaces, no accents)';
	return undefined;
}

/**
 * The delivery id a key gives in a scope: `dc-` and a UUID-shaped digest of both, so our reports
 * and Sent look-ups recognise it like any other delivery id of ours.
 */
export function deliveryIdForKey(scope: string, key: string): string {
	const hex = createHash('sha256').update(`${scope}\n${key}`).digest('hex');
	const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
	return `dc-${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A short, fixed-length name for a key inside a store (keys are up to 255 characters). */
export function keyDigest(scope: string, key: string): string {
	return createHash('sha256').update(`${scope}\n${key}`).digest('base64url');
}
