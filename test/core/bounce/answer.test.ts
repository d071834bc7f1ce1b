import { parseBounce } from '../../../core/bounce';
import { autoReplyKindOf, newText } from '../../../core/bounce/answer';
import {
	bounceWithInReplyTo,
	humanReply,
	movedNotice,
	outOfOffice,
	ticketAcknowledgement,
} from '../../support/answers';

const SENT = '<dc-7f1c2a3b-0000-4000-8000-000000000001@shop.example>';
const crlf = (text: string) => text.replace(/\n/g, '\r\n');

describe('answers: replies and auto-replies beside the bounce verdict', () => {
	it('an out-of-office reply with Auto-Submitted', async () => {
		const report = await parseBounce(outOfOffice({ inReplyTo: SENT }));
		expect(report.kind).toBe('autoreply');
		expect(report.answer).toMatchObject({
			kind: 'autoreply',
			autoReplyKind: 'out-of-office',
			from: 'lead@client.example',
			subject: 'Out of Office: Our offer',
		});
		expect(report.answer?.excerpt).toMatch(/^Hello, I am out of the office until 12 December/);
		expect(report.answer?.links[0]).toEqual({
			method: 'in-reply-to',
			value: SENT,
			confidence: 'high',
		});
		expect(report.answer?.links).toContainEqual({
			method: 'subject-recipient',
			value: 'lead@client.example\nOur offer',
			confidence: 'low',
		});
	});

	it('a moved notice, with the new address its text gives', async () => {
		const report = await parseBounce(
			movedNotice({ inReplyTo: SENT, newAddress: 'kim.ross@client.example' }),
		);
		expect(report.answer).toMatchObject({
			kind: 'autoreply',
			autoReplyKind: 'moved',
			newAddress: 'kim.ross@client.example',
		});
	});

	it('a ticket acknowledgement', async () => {
		const report = await parseBounce(ticketAcknowledgement({ inReplyTo: SENT }));
		expect(report.answer).toMatchObject({
			kind: 'autoreply',
			autoReplyKind: 'auto-acknowledgement',
		});
		// The bounce verdict is what it was: no entries.
		expect(report.failures).toEqual([]);
	});

	it('a person’s reply: kind reply, no auto-reply kind, the excerpt without the quoted message', async () => {
		const report = await parseBounce(humanReply({ inReplyTo: SENT }));
		expect(report.kind).toBe('not-a-report');
		expect(report.failures).toEqual([]);
		expect(report.answer?.kind).toBe('reply');
		expect(report.answer?.autoReplyKind).toBeUndefined();
		expect(report.answer?.excerpt).toContain('price list for 50 seats');
		expect(report.answer?.excerpt).not.toContain('here is our offer');
	});

	it('a bounce stays a bounce, even with In-Reply-To', async () => {
		const report = await parseBounce(
			bounceWithInReplyTo({ inReplyTo: SENT, failed: 'gone@client.example' }),
		);
		expect(report.kind).toBe('failure');
		expect(report.failures).toEqual([
			expect.objectContaining({ recipient: 'gone@client.example', action: 'failed', hard: true }),
		]);
		expect(report.answer).toBeUndefined();
	});

	it.each([
		['Abwesenheitsnotiz: Angebot', 'Ich bin bis zum 3. Januar nicht im Büro.'],
		['Absence du bureau : Offre', 'Je suis absente jusqu’au 3 janvier.'],
		['Fuera de la oficina: Oferta', 'Estoy de vacaciones hasta el 3 de enero.'],
		['Automatische Antwort: Angebot', 'Ich bin im Urlaub.'],
	])('an out-of-office subject alone: %s', async (subject, body) => {
		const mail = crlf(
			`From: lead@client.example\nTo: sales@shop.example\nSubject: ${subject}\nIn-Reply-To: ${SENT}\n\n${body}\n`,
		);
		const report = await parseBounce(mail);
		expect(report.answer).toMatchObject({ kind: 'autoreply', autoReplyKind: 'out-of-office' });
	});

	it('a mailing list post or a mail that answers nothing is no answer', async () => {
		const list = crlf(
			`From: news@list.example\nTo: sales@shop.example\nSubject: Re: Weekly digest\n` +
				`In-Reply-To: ${SENT}\nList-Id: <digest.list.example>\n\nThis week ...\n`,
		);
		expect((await parseBounce(list)).answer).toBeUndefined();
		const plain = crlf(
			'From: joe@friend.example\nTo: sales@shop.example\nSubject: Hello\n\nHi there\n',
		);
		expect((await parseBounce(plain)).answer).toBeUndefined();
	});

	it('decides the auto-reply kind from the words', () => {
		const none = new Set<string>();
		expect(
			autoReplyKindOf(
				'Automatic reply',
				'This address is no longer in use. Write to a@b.example',
				none,
			),
		).toEqual({ kind: 'moved', newAddress: 'a@b.example' });
		expect(
			autoReplyKindOf('Auto: hi', 'We have received your message and will reply soon.', none).kind,
		).toBe('auto-acknowledgement');
		expect(
			autoReplyKindOf('Automatic reply', 'Thanks for your email, I am on parental leave.', none)
				.kind,
		).toBe('out-of-office');
		expect(autoReplyKindOf('Auto: hi', 'Thanks.', none).kind).toBe('other');
		expect(autoReplyKindOf('x', 'y', none, true).kind).toBe('out-of-office');
	});

	it('cuts the new text at the quoted message', () => {
		expect(newText('Yes please.\n\nOn Tue, 3 Nov 2026, Sales wrote:\n> our offer\n')).toBe(
			'Yes please.\n',
		);
		expect(newText('Ja.\n-----Ursprüngliche Nachricht-----\nVon: x')).toBe('Ja.');
	});
});
