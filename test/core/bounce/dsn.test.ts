import { looksLikeDsn, parseDsn } from '../../../core/bounce/dsn';

const RFC3464_EXAMPLE = [
	'Reporting-MTA: dns; cs.utk.edu',
	'Original-Envelope-Id: env-0042',
	'Arrival-Date: Sat, 1 Jun 2024 10:00:00 +0000',
	'',
	'Original-Recipient: rfc822;louisl@larry.slip.umd.edu',
	'Final-Recipient: rfc822;louisl@larry.slip.umd.edu',
	'Action: failed',
	'Status: 4.0.0',
	'Diagnostic-Code: smtp; 426 connection timed out',
	'Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400',
	'',
	'Final-Recipient: rfc822;pat@example.org',
	'Action: delayed',
	'Status: 4.2.2',
	'Remote-MTA: dns; mx.example.org',
	'Diagnostic-Code: smtp; 452-4.2.2 The email account that you tried',
	'    to reach is over quota.',
	'',
].join('\r\n');

describe('parseDsn', () => {
	it('reads the per-message and per-recipient fields of RFC 3464', () => {
		const r = parseDsn(RFC3464_EXAMPLE);
		expect(r.reportingMta).toBe('cs.utk.edu');
		expect(r.envelopeId).toBe('env-0042');
		expect(r.arrivalDate).toBe('2024-06-01T10:00:00.000Z');
		expect(r.recipients).toHaveLength(2);
		expect(r.recipients[0]).toMatchObject({
			recipient: 'louisl@larry.slip.umd.edu',
			originalRecipient: 'louisl@larry.slip.umd.edu',
			action: 'failed',
			status: '4.0.0',
			diagnostic: '426 connection timed out',
			diagnosticType: 'smtp',
			failedAt: '1994-07-07T21:15:49.000Z',
			reportingMta: 'cs.utk.edu',
		});
	});

	it('unfolds a folded Diagnostic-Code', () => {
		const r = parseDsn(RFC3464_EXAMPLE);
		expect(r.recipients[1].diagnostic).toBe(
			'452-4.2.2 The email account that you tried to reach is over quota.',
		);
		expect(r.recipients[1].remoteMta).toBe('mx.example.org');
		expect(r.recipients[1].action).toBe('delayed');
	});

	it('keeps Original-Recipient after Final-Recipient in the same block (Postfix order)', () => {
		const r = parseDsn(
			'Reporting-MTA: dns; a.example\n\nFinal-Recipient: rfc822; x@a.example\nOriginal-Recipient: rfc822;y@b.example\nAction: failed\nStatus: 5.1.1\n',
		);
		expect(r.recipients).toHaveLength(1);
		expect(r.recipients[0].recipient).toBe('x@a.example');
		expect(r.recipients[0].originalRecipient).toBe('y@b.example');
	});

	it('splits recipients written without blank lines between them', () => {
		const r = parseDsn(
			'Final-Recipient: rfc822; a@x.example\nStatus: 5.1.1\nFinal-Recipient: rfc822; b@x.example\nStatus: 5.2.2\n',
		);
		expect(r.recipients.map((x) => [x.recipient, x.status])).toEqual([
			['a@x.example', '5.1.1'],
			['b@x.example', '5.2.2'],
		]);
	});

	it('accepts fields without the address type and a recipient with only Original-Recipient', () => {
		const r = parseDsn('Original-Recipient: <only@x.example>\nAction: failed\nStatus: 5.0.0\n');
		expect(r.recipients[0].recipient).toBe('only@x.example');
	});

	it('recognises delivery-status text outside a MIME part', () => {
		expect(looksLikeDsn('blah\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n')).toBe(true);
		expect(looksLikeDsn('Hello, how are you?')).toBe(false);
	});
});
