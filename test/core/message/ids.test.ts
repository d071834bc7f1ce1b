/** Delivery ids: the ones we make are the ones we recognise, and nothing else passes for ours. */
import { composeMessage } from '../../../core/message/compose';
import {
	bareMessageId,
	deliveryIdOfMessageId,
	isOwnDeliveryId,
	newDeliveryId,
} from '../../../core/message/ids';

test('every id we make is recognised as ours, also behind the Message-ID we set', () => {
	const id = newDeliveryId();
	expect(id).toMatch(/^dc-/);
	expect(newDeliveryId()).not.toBe(id);
	expect(isOwnDeliveryId(id)).toBe(true);
	expect(isOwnDeliveryId(` ${id.toUpperCase()} `)).toBe(true);

	const message = composeMessage({
		identity: 'a@example.com',
		to: 'b@example.org',
		subject: 'Hi',
		emailFormat: 'text',
		text: 'x',
	});
	expect(isOwnDeliveryId(message.deliveryId)).toBe(true);
	expect(deliveryIdOfMessageId(message.messageId)).toBe(message.deliveryId);
});

test('ids that only look like ours are not', () => {
	expect(isOwnDeliveryId('dc-1234')).toBe(false);
	expect(isOwnDeliveryId('xdc-00000000-0000-0000-0000-000000000000')).toBe(false);
	expect(isOwnDeliveryId('dc-00000000-0000-0000-0000-000000000000-x')).toBe(false);
	expect(deliveryIdOfMessageId('<CAF=abc@mail.gmail.com>')).toBeUndefined();
	expect(
		deliveryIdOfMessageId('<x.dc-00000000-0000-0000-0000-000000000000@example.com>'),
	).toBeUndefined();
	expect(bareMessageId(' <a@b> ')).toBe('a@b');
});
