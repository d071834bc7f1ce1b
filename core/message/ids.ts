/**
 * Our delivery ids: made here for every message (the DSN envelope id, the X-Delivery-Id header and
 * the local part of the Message-ID), and recognised here when a bounce report hands one back.
 */
import { randomUUID } from 'node:crypto';

/** `dc-<uuid>`: what every delivery id of ours looks like. */
const OWN_ID = /^dc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function newDeliveryId(): string {
	return `dc-${randomUUID()}`;
}

export function isOwnDeliveryId(value: string): boolean {
	return OWN_ID.test(value.trim());
}

/** A Message-ID without its angle brackets. */
export function bareMessageId(value: string): string {
	return value.trim().replace(/^<|>$/g, '');
}

/** Our delivery id behind a Message-ID we set (its local part), if it is one of ours. */
export function deliveryIdOfMessageId(messageId: string): string | undefined {
	const local = bareMessageId(messageId).split('@')[0];
	return isOwnDeliveryId(local) ? local : undefined;
}
