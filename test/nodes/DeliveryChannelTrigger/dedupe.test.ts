/** The trigger's failure keys and state (nodes/DeliveryChannelTrigger/dedupe.ts). */
import type { FailedDelivery } from '../../../nodes/DeliveryChannel/channels/types';
import {
	failureKey,
	readState,
	STATE_LIMITS,
	takeNew,
} from '../../../nodes/DeliveryChannelTrigger/dedupe';

function failure(overrides: Partial<FailedDelivery> = {}): FailedDelivery {
	return {
		channel: 'smtp',
		recipient: 'bob@example.net',
		action: 'failed',
		kind: 'failure',
		hard: true,
		reason: 'userunknown',
		status: '5.1.1',
		replyCode: '550',
		diagnostic: 'unknown',
		message: { envelopeId: 'dc-1', messageId: '<dc-1@example.test>' },
		link: { method: 'envelope-id', confidence: 'high' },
		details: { reportId: 'INBOX/1' },
		...overrides,
	};
}

describe('failureKey', () => {
	it('is the same for the same failure of the same message, whatever report or link it came through', () => {
		const key = failureKey(failure());
		expect(
			failureKey(failure({ recipient: 'BOB@example.net', details: { reportId: 'Junk/9' } })),
		).toBe(key);
		// Linking found more (the Sent copy) in one poll than in another: the key does not change.
		expect(
			failureKey(
				failure({
					message: {
						envelopeId: 'dc-1',
						messageId: '<dc-1@example.test>',
						deliveryId: 'dc-1',
						sentFolder: 'Sent',
					},
				}),
			),
		).toBe(key);
		expect(key).toHaveLength(22);
	});

	it('differs by kind, recipient, message and channel', () => {
		const key = failureKey(failure());
		expect(failureKey(failure({ kind: 'delay', action: 'delayed' }))).not.toBe(key);
		expect(failureKey(failure({ recipient: 'carol@example.net' }))).not.toBe(key);
		expect(failureKey(failure({ message: { envelopeId: 'dc-2' } }))).not.toBe(key);
		expect(failureKey(failure({ channel: 'gmail' }))).not.toBe(key);
	});

	it('falls back to the Message-ID, then to the report, when the report names no envelope id', () => {
		const byMessageId = failure({ message: { messageId: '<A@example.test>' } });
		expect(failureKey(byMessageId)).toBe(
			failureKey(
				failure({ message: { messageId: 'a@example.test' }, details: { reportId: 'INBOX/5' } }),
			),
		);
		const anonymous = failure({ message: {}, details: { reportId: 'INBOX/7' } });
		expect(failureKey(anonymous)).toBe(
			failureKey(failure({ message: {}, details: { reportId: 'INBOX/7' } })),
		);
		expect(failureKey(anonymous)).not.toBe(
			failureKey(failure({ message: {}, details: { reportId: 'INBOX/8' } })),
		);
	});
});

describe('takeNew', () => {
	it('emits each key once and forgets keys after the retention time', () => {
		const now = Date.now();
		const first = takeNew(undefined, [failure()], now);
		expect(first.fresh).toHaveLength(1);
		expect(takeNew(first.state, [failure()], now + 1000).fresh).toHaveLength(0);
		const muchLater = now + STATE_LIMITS.retainMs + 1000;
		const pruned = takeNew(first.state, [], muchLater);
		expect(pruned.state.seen).toEqual({});
		expect(pruned.state.lastPoll).toBe(muchLater);
	});

	it('ignores state it does not understand', () => {
		expect(readState({})).toBeUndefined();
		expect(readState({ failedDeliveries: { version: 2, lastPoll: 1, seen: {} } })).toBeUndefined();
		expect(readState({ failedDeliveries: { version: 1, lastPoll: 1, seen: {} } })).toEqual({
			version: 1,
			lastPoll: 1,
			seen: {},
		});
	});
});
