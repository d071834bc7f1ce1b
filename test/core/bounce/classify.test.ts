import { classify, isHard, REASONS, smtpCommandOf } from '../../../core/bounce/classify';

const c = (
	diagnostic: string,
	status = '',
	replyCode = '',
	extra: { diagnosticType?: string; action?: string } = {},
) => classify({ diagnostic, status, replyCode, ...extra });

describe('classify', () => {
	it.each([
		['550 5.1.1 <a@b.example>... User unknown', 'userunknown'],
		['550 Requested action not taken: mailbox unavailable', 'userunknown'],
		['Host or domain name not found. Name service error for name=b.example type=A', 'hostunknown'],
		['552 5.2.2 Quota exceeded', 'mailboxfull'],
		['554 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org', 'blocked'],
		['550 5.7.1 Relay access denied', 'norelaying'],
		[
			'550 5.7.26 Unauthenticated email from example.com is not accepted due to domain DMARC policy',
			'authfailure',
		],
		['550 5.7.1 Fix reverse DNS for 192.0.2.1', 'requireptr'],
		['552 5.3.4 Message size exceeds fixed maximum message size', 'mesgtoobig'],
		['550 Virus Detected; Content Rejected', 'virusdetected'],
		['retry timeout exceeded', 'expired'],
		['550 5.2.1 The email account that you tried to reach is disabled', 'suspend'],
		['553 5.1.8 Domain of sender address nobody@nowhere.invalid does not exist', 'rejected'],
		['an MX or SRV record indicated no SMTP service', 'notaccept'],
		['554 5.7.1 Message rejected as spam', 'spamdetected'],
		['421 Too many concurrent SMTP connections from this IP address', 'toomanyconn'],
		[
			'550-5.7.1 very low reputation of the sending domain. To best protect our users from spam, the message has been blocked.',
			'badreputation',
		],
		['550 5.4.5 Daily user sending limit exceeded.', 'speeding'],
		[
			'Host or domain name not found. Name service error for name=b.example type=MX: Host not found, try again',
			'networkerror',
		],
		['550 Envelope blocked - User Entry', 'filtered'],
		['Grund: Der Empfänger ist unbekannt.', 'userunknown'],
		['Raison : la boîte aux lettres du destinataire est pleine.', 'mailboxfull'],
		['El usuario no existe en este dominio.', 'userunknown'],
		['Motivo: a caixa postal do destinatário está cheia.', 'mailboxfull'],
		['Errore permanente: utente sconosciuto', 'userunknown'],
		['Reden: het e-mailadres bestaat niet', 'userunknown'],
		['Причина: почтовый ящик получателя переполнен.', 'mailboxfull'],
		['理由: 宛先のメールアドレスが見つかりません。', 'userunknown'],
	])('%s → %s', (diagnostic, reason) => {
		expect(c(diagnostic, '', '')).toBe(reason);
	});

	it('reads the SMTP stage: mailbox words in reply to MAIL FROM are about the sender', () => {
		expect(
			classify({
				diagnostic:
					'550 Requested action not taken: mailbox unavailable (in reply to MAIL FROM command)',
				status: '',
				replyCode: '550',
			}),
		).toBe('rejected');
		expect(
			classify({
				diagnostic:
					'550 permanent failure for one or more recipients (a@b.example:550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table) after end of data',
				status: '5.1.1',
				replyCode: '550',
			}),
		).toBe('userunknown');
	});

	it('reads family phrases for dead domains, full mailboxes and relaying', () => {
		expect(c('No route found to domain nowhere.example.net from server MAIL01/Shop.')).toBe(
			'hostunknown',
		);
		expect(c('User mailbox exceeds allowed size: a@b.example')).toBe('mailboxfull');
		expect(c('Illegal host/domain name found')).toBe('hostunknown');
		expect(c('451 Message will exceed storage quota', '', '451')).toBe('mailboxfull');
		expect(c('DNS lookup failure: host nowhere.example.net not found')).toBe('hostunknown');
		expect(smtpCommandOf('mx.example.org [192.0.2.90] did not like our MAIL FROM: 550 x')).toBe(
			'MAIL',
		);
		expect(smtpCommandOf('mx.example.org [192.0.2.90] did not like our RCPT TO: 550 x')).toBe(
			'RCPT',
		);
		expect(smtpCommandOf('mx.example.org [192.0.2.90] did not like our final DATA: 550 x')).toBe(
			'DATA',
		);
		expect(
			smtpCommandOf(
				'SMTP error from remote mail server after pipelined MAIL FROM:<a@b.example> SIZE=2391: 550 x',
			),
		).toBe('MAIL');
		expect(
			smtpCommandOf(
				'SMTP error from remote mail server after pipelined RCPT TO:<a@b.example>: 550 x',
			),
		).toBe('RCPT');
		expect(
			smtpCommandOf(
				'Connected to 192.0.2.81 but greeting failed. Remote host said: 554 not accepting messages',
			),
		).toBe('CONN');
		expect(
			c(
				'Connected to 192.0.2.81 but greeting failed. Remote host said: 554 mx.example.net ESMTP not accepting messages',
				'',
				'554',
			),
		).toBe('blocked');
		expect(
			smtpCommandOf('192.0.2.82 failed after I sent the message. Remote host said: 550 x'),
		).toBe('DATA');
		expect(
			c(
				'SMTP error from remote mail server after pipelined MAIL FROM:<a@b.example> SIZE=2391: 550 Requested action not taken: mailbox unavailable',
				'',
				'550',
			),
		).toBe('rejected');
		expect(
			c(
				'The destination server for this recipient could not be found in Domain Name Service (DNS). <EX01 #5.4.0>',
				'5.4.0',
			),
		).toBe('hostunknown');
		expect(c('The mail address you sent to does not exist.')).toBe('userunknown');
		expect(
			c('421 4.4.1 connection to 192.0.2.136 timed out', '4.4.1', '421', { action: 'delayed' }),
		).toBe('expired');
		expect(
			c(
				'553-you are trying to use me [server-4.tower-21.messagelabs.com] as a relay, but I have not been configured to let you do this. (#5.7.1)',
				'5.7.1',
				'553',
			),
		).toBe('norelaying');
	});

	it('falls back to the status code when the text says nothing', () => {
		expect(c('', '5.1.1')).toBe('userunknown');
		expect(c('rejected', '5.2.2')).toBe('mailboxfull');
		expect(c('', '4.4.7')).toBe('expired');
		expect(c('', '5.7.26')).toBe('authfailure');
	});

	it('reports success and mailer errors', () => {
		expect(c('250 OK', '2.0.0')).toBe('delivered');
		expect(c('procmail: could not deliver', '5.1.1', '', { diagnosticType: 'x-unix' })).toBe(
			'mailererror',
		);
	});

	it('gives undefined with no information at all', () => {
		expect(c('', '', '')).toBe('undefined');
	});

	it('only uses the fixed vocabulary', () => {
		for (const d of ['', 'xyz', '550 no', 'timeout', '5.9.9 foo'])
			expect(REASONS).toContain(c(d, '5.9.9', '599'));
	});

	it('hard only for dead addresses', () => {
		expect(isHard('userunknown', '5.1.1', '550')).toBe(true);
		expect(isHard('hostunknown', '', '')).toBe(true);
		expect(isHard('hasmoved', '5.1.6', '551')).toBe(true);
		expect(isHard('notaccept', '5.1.10', '556')).toBe(true);
		expect(isHard('notaccept', '4.0.0', '')).toBe(false);
		expect(isHard('mailboxfull', '5.2.2', '552')).toBe(false);
		expect(isHard('blocked', '5.7.1', '554')).toBe(false);
	});
});
