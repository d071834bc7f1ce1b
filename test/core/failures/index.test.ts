import type { BounceRecipient, BounceReport } from '../../../core/bounce/types';
import { failuresFromReport, matchesQuery } from '../../../core/failures';

const entry = (over: Partial<BounceRecipient>): BounceRecipient => ({
	recipient: 'lead@client.example',
	action: 'failed',
	status: '5.1.1',
	replyCode: '550',
	reason: 'userunknown',
	hard: true,
	diagnostic: '550 5.1.1 no such user',
	...over,
});

const report = (failures: BounceRecipient[]): BounceReport => ({
	kind: 'failure',
	failures,
	original: {
		messageId: '<offer-1@sender.example>',
		subject: 'Offer',
		recipients: [],
		links: [
			{ method: 'subject-recipient', value: 'Offer', confidence: 'low' },
			{ method: 'message-id', value: '<offer-1@sender.example>', confidence: 'high' },
		],
	},
	arrivalDate: '2024-06-04T10:00:00.000Z',
});

describe('failuresFromReport', () => {
	it('links by the most confident key first and keeps what the report says', async () => {
		const asked: string[] = [];
		const [failure] = await failuresFromReport(
			report([entry({})]),
			'smtp',
			{ receivedAt: '2024-06-04T10:01:00.000Z', reportId: 'INBOX:7' },
			async (link) => {
				asked.push(link.method);
				return link.method === 'message-id'
					? { sentAt: '2024-06-04T09:00:00.000Z', to: ['lead@client.example'] }
					: undefined;
			},
		);
		expect(asked).toEqual(['message-id']);
		expect(failure).toEqual(
			expect.objectContaining({
				channel: 'smtp',
				recipient: 'lead@client.example',
				kind: 'failure',
				hard: true,
				failedAt: '2024-06-04T10:00:00.000Z',
				link: { method: 'message-id', confidence: 'high' },
				message: expect.objectContaining({
					messageId: '<offer-1@sender.example>',
					subject: 'Offer',
					sentAt: '2024-06-04T09:00:00.000Z',
				}),
				details: expect.objectContaining({ reportId: 'INBOX:7' }),
			}),
		);
	});

	it('says so when nothing that was sent matched', async () => {
		const [failure] = await failuresFromReport(
			report([entry({})]),
			'gmail',
			{},
			async () => undefined,
		);
		expect(failure.link).toEqual({ method: 'none', confidence: 'none' });
	});

	it('gives a complaint without a named recipient the address of the one-recipient message it is about', async () => {
		const complaint = entry({
			recipient: '',
			action: 'complaint',
			reason: 'feedback',
			hard: false,
			feedbackType: 'abuse',
			status: '',
			replyCode: '',
		});
		const [one] = await failuresFromReport(report([complaint]), 'gmail', {}, async () => ({
			to: ['reader@isp.example'],
		}));
		expect(one).toEqual(
			expect.objectContaining({
				recipient: 'reader@isp.example',
				kind: 'complaint',
				feedbackType: 'abuse',
			}),
		);
		const [several] = await failuresFromReport(report([complaint]), 'gmail', {}, async () => ({
			to: ['a@isp.example', 'b@isp.example'],
		}));
		expect(several.recipient).toBe('');
		const [unlinked] = await failuresFromReport(report([complaint]), 'gmail', {});
		expect(unlinked.recipient).toBe('');
	});

	it('leaves out auto-replies and delivery confirmations', async () => {
		const list = await failuresFromReport(
			report([
				entry({ action: 'autoreply', reason: 'vacation' }),
				entry({ action: 'delivered', reason: 'delivered' }),
			]),
			'smtp',
			{},
		);
		expect(list).toEqual([]);
	});
});

describe('matchesQuery', () => {
	const base = { verdict: 'all' as const, includeDelays: false, includeComplaints: false };

	it('applies kind, verdict, recipient and time filters', async () => {
		const [hard] = await failuresFromReport(report([entry({})]), 'smtp', {});
		const [delay] = await failuresFromReport(
			report([entry({ action: 'delayed', hard: false, reason: 'mailboxfull' })]),
			'smtp',
			{},
		);
		expect(matchesQuery(hard, base)).toBe(true);
		expect(matchesQuery(delay, base)).toBe(false);
		expect(matchesQuery(delay, { ...base, includeDelays: true })).toBe(true);
		expect(matchesQuery(hard, { ...base, verdict: 'soft' })).toBe(false);
		expect(matchesQuery(hard, { ...base, recipient: 'LEAD@client.example' })).toBe(true);
		expect(matchesQuery(hard, { ...base, recipient: 'other@client.example' })).toBe(false);
		expect(matchesQuery(hard, { ...base, since: new Date('2024-06-04T10:00:00.000Z') })).toBe(true);
		expect(matchesQuery(hard, { ...base, until: new Date('2024-06-04T10:00:00.000Z') })).toBe(
			false,
		);
	});
});
