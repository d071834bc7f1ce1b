/**
 * The sandbox's own relay to the upstream (sandbox/msc/relay), against a real SMTP server: the
 * login travels encrypted or not at all (unless security is 'none'), every recipient gets its own
 * answer, and a refusal of the whole message is a refusal of each recipient.
 */
import { api, startTestSandbox, VERIFIED, type TestSandbox } from './helpers';

let env: TestSandbox | undefined;

afterEach(async () => {
	await env?.close();
	env = undefined;
});

const LOGIN = { user: 'relay-user', pass: 'relay-secret' };

const send = (to: string[], key: string) =>
	api(
		env!.sandbox,
		env!.apiKey,
		'POST',
		'/v1/messages',
		{ identity: VERIFIED, to, subject: 'Offer', text: 'Hello' },
		{ 'Idempotency-Key': key },
	);

describe('MSC sandbox relay', () => {
	it('logs in after STARTTLS, with the upstream certificate allowed explicitly', async () => {
		env = await startTestSandbox(
			{
				upstream: {
					security: 'starttls',
					user: LOGIN.user,
					password: LOGIN.pass,
					allowSelfSigned: true,
				},
			},
			{ tls: 'required', auth: LOGIN },
		);
		const sent = await send(['jane@example.org'], 'tls-login');
		expect(sent.status).toBe(201);
		expect(env.upstream.received).toEqual([
			expect.objectContaining({ secure: true, user: LOGIN.user }),
		]);
	});

	it('never sends the login in clear when STARTTLS is only "when offered" and the upstream has none', async () => {
		env = await startTestSandbox(
			{ upstream: { security: 'starttlsWhenOffered', user: LOGIN.user, password: LOGIN.pass } },
			{ tls: 'off', auth: LOGIN },
		);
		const sent = await send(['jane@example.org'], 'clear-login');
		expect(sent.status).toBe(503);
		expect(sent.body).toMatchObject({
			code: 'upstream-unavailable',
			detail: expect.stringMatching(/TLS/),
		});
		expect(JSON.stringify(sent.body)).not.toContain(LOGIN.pass);
		expect(env.upstream.authAttempts).toBe(0);
		expect(env.upstream.received).toHaveLength(0);
	});

	it('logs in without encryption only when security is none', async () => {
		env = await startTestSandbox(
			{ upstream: { security: 'none', user: LOGIN.user, password: LOGIN.pass } },
			{ tls: 'off', auth: LOGIN },
		);
		const sent = await send(['jane@example.org'], 'none-login');
		expect(sent.status).toBe(201);
		expect(env.upstream.authAttempts).toBe(1);
		expect(env.upstream.received).toEqual([
			expect.objectContaining({ secure: false, user: LOGIN.user }),
		]);
	});

	it('answers every recipient with its own reply when all are refused', async () => {
		const replies: Record<string, [number, string]> = {
			'gone@example.org': [550, '5.1.1 <gone@example.org>: User unknown'],
			'full@example.org': [452, '4.2.2 <full@example.org>: Mailbox full'],
		};
		env = await startTestSandbox({}, { rcpt: (address) => replies[address.toLowerCase()] });
		const sent = await send(['gone@example.org', 'full@example.org'], 'all-refused');
		expect(sent.status).toBe(201);
		expect(sent.body).toMatchObject({ status: 'failed', accepted: [] });
		expect(sent.body.rejected).toEqual([
			{
				address: 'gone@example.org',
				code: 550,
				response: expect.stringContaining('User unknown'),
				retryable: false,
			},
			{
				address: 'full@example.org',
				code: 452,
				response: expect.stringContaining('Mailbox full'),
				retryable: true,
			},
		]);
		expect(env.upstream.received).toHaveLength(0);
	});

	it('turns a refusal of the message after the data into a refusal of each recipient', async () => {
		env = await startTestSandbox({}, { afterData: () => '550' });
		const sent = await send(['a@example.org', 'b@example.org'], 'data-refused');
		expect(sent.body).toMatchObject({ status: 'failed', accepted: [] });
		expect(sent.body.rejected).toEqual(
			['a@example.org', 'b@example.org'].map((address) => ({
				address,
				code: 550,
				response: expect.stringContaining('Message refused'),
				retryable: false,
			})),
		);
	});

	it('sends the messages of one connection in turn, each once', async () => {
		env = await startTestSandbox({ upstreamConnections: 1 });
		const answers = await Promise.all(
			[1, 2, 3, 4].map((index) => send([`lead${index}@example.org`], `turn-${index}`)),
		);
		expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
		expect(env.upstream.received.map((message) => message.to[0]).sort()).toEqual([
			'lead1@example.org',
			'lead2@example.org',
			'lead3@example.org',
			'lead4@example.org',
		]);
		expect(env.upstream.connections).toBe(1);
	});
});
