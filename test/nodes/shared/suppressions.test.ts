/** Which listed failures become suppressions: the one rule Failed Deliveries and the trigger share. */
import type { FailedDelivery } from '../../../nodes/DeliveryChannel/channels/types';
import { suppressionOf } from '../../../nodes/shared/suppressions';

const now = new Date('2026-11-30T00:00:00.000Z');

function failure(extra: Partial<FailedDelivery>): FailedDelivery {
	return {
		channel: 'msc',
		recipient: 'lead@example.org',
		action: 'failed',
		kind: 'failure',
		hard: true,
		reason: 'userunknown',
		status: '5.1.1',
		replyCode: '550',
		diagnostic: '',
		message: { messageId: '<m@example.com>' },
		link: { method: 'none', confidence: 'none' },
		...extra,
	} as FailedDelivery;
}

it('a hard failure is a hard bounce with its reason, time and message', () => {
	expect(suppressionOf(failure({ failedAt: '2026-11-29T00:00:00Z' }), 'src', now)).toEqual({
		address: 'lead@example.org',
		reason: 'hard-bounce',
		detail: 'userunknown 5.1.1',
		source: 'src',
		recordedAt: '2026-11-30T00:00:00.000Z',
		failedAt: '2026-11-29T00:00:00Z',
		messageId: '<m@example.com>',
	});
});

it('a complaint is recorded with its feedback type', () => {
	const complaint = failure({
		kind: 'complaint',
		action: 'complaint',
		hard: false,
		feedbackType: 'abuse',
	});
	expect(suppressionOf(complaint, 'src', now)).toMatchObject({
		reason: 'complaint',
		detail: 'abuse',
	});
});

it('soft failures, delays and failures without an address are not', () => {
	expect(suppressionOf(failure({ hard: false }), 'src', now)).toBeUndefined();
	expect(
		suppressionOf(failure({ kind: 'delay', action: 'delayed', hard: false }), 's', now),
	).toBeUndefined();
	expect(suppressionOf(failure({ recipient: '' }), 'src', now)).toBeUndefined();
});
