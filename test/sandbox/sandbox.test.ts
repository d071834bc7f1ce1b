/**
 * The MSC sandbox as a server: its HTTP API (auth, identities, idempotent sends, problem+json, 429),
 * the relay to a real SMTP upstream (VERP envelope sender, Sender header, refused recipients), the
 * inbound port for bounce reports, and its SQLite store across restarts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseArgs, resolveConfig } from '../../sandbox/msc/config';
import { startSandbox } from '../../sandbox/msc/server';
import {
	api,
	deliverReport,
	dsnReport,
	removeTempFolders,
	SANDBOX_DOMAIN,
	startTestSandbox,
	tempDb,
	tempFolder,
	UNKNOWN_USER,
	UNVERIFIED,
	VERIFIED,
	type TestSandbox,
} from './helpers';

let env: TestSandbox | undefined;

afterEach(async () => {
	await env?.close();
	env = undefined;
});

afterAll(removeTempFolders);

const message = (overrides: Record<string, unknown> = {}) => ({
	identity: VERIFIED,
	to: [{ name: 'Jane Lead', address: 'jane@example.org' }],
	subject: 'Our offer',
	text: 'Hello Jane',
	...overrides,
});

describe('MSC sandbox API', () => {
	it('requires a valid bearer API key and answers with problem+json', async () => {
		env = await startTestSandbox();
		const missing = await api(env.sandbox, undefined, 'GET', '/v1/account');
		expect(missing.status).toBe(401);
		expect(missing.headers.get('content-type')).toBe('application/problem+json');
		expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
		expect(missing.body).toMatchObject({
			status: 401,
			code: 'unauthorized',
			type: expect.stringContaining('unauthorized'),
		});
		expect((await api(env.sandbox, 'msc_sk_wrong', 'GET', '/v1/account')).status).toBe(401);

		const account = await api(env.sandbox, env.apiKey, 'GET', '/v1/account');
		expect(account.status).toBe(200);
		expect(account.body).toMatchObject({
			name: 'Acme Sales',
			sendingDomain: SANDBOX_DOMAIN,
			bounceDomain: SANDBOX_DOMAIN,
		});
		expect((await api(env.sandbox, env.apiKey, 'GET', '/v1/nothing')).status).toBe(404);
		expect((await api(env.sandbox, env.apiKey, 'DELETE', '/v1/account')).status).toBe(405);
	});

	it('lists the account identities with their verification state, and only its own', async () => {
		env = await startTestSandbox();
		const other = env.sandbox.createAccount('Other Co', [
			{ name: 'Other', address: 'x@other.example', verified: true },
		]);
		const list = await api(env.sandbox, env.apiKey, 'GET', '/v1/identities');
		expect(list.body.data).toEqual([
			expect.objectContaining({
				name: 'Acme Sales',
				address: VERIFIED,
				verified: true,
				id: expect.stringMatching(/^idt_/),
			}),
			expect.objectContaining({ name: 'New Rep', address: UNVERIFIED, verified: false }),
		]);
		const others = await api(env.sandbox, other.apiKey, 'GET', '/v1/identities');
		expect(others.body.data).toEqual([expect.objectContaining({ address: 'x@other.example' })]);
	});

	it('relays with the per-message bounce address as envelope sender and a Sender header for the account', async () => {
		env = await startTestSandbox();
		const sent = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ cc: ['boss@example.org'], bcc: ['audit@acme.example'] }),
			{ 'Idempotency-Key': 'k-1' },
		);
		expect(sent.status).toBe(201);
		const id = String(sent.body.id);
		expect(sent.body).toMatchObject({
			status: 'sent',
			from: `Acme Sales <${VERIFIED}>`,
			envelopeFrom: `bounce+${id}@${SANDBOX_DOMAIN}`,
			sendingDomain: SANDBOX_DOMAIN,
			accepted: ['jane@example.org', 'boss@example.org', 'audit@acme.example'],
			rejected: [],
			identity: expect.objectContaining({ address: VERIFIED, verified: true }),
		});
		expect(env.upstream.received).toHaveLength(1);
		const [relayed] = env.upstream.received;
		expect(relayed.from).toBe(`bounce+${id}@${SANDBOX_DOMAIN}`);
		expect(relayed.to).toEqual(['jane@example.org', 'boss@example.org', 'audit@acme.example']);
		expect(relayed.headers.from).toBe(`Acme Sales <${VERIFIED}>`);
		expect(relayed.headers.sender).toMatch(
			new RegExp(
				`^"?Acme Sales via MSC"? <acc_[0-9a-f]+@${SANDBOX_DOMAIN.replace(/\./g, '\\.')}>$`,
			),
		);
		expect(relayed.headers['x-msc-message-id']).toBe(id);
		expect(relayed.headers.bcc).toBeUndefined();
		expect(relayed.headers['message-id']).toBe(sent.body.messageId);
		expect(relayed.envid).toBe(sent.body.deliveryId);
	});

	it('never sends twice for one idempotency key, and refuses the key for a different request', async () => {
		env = await startTestSandbox();
		const body = message();
		const first = await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', body, {
			'Idempotency-Key': 'same-key',
		});
		const again = await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', body, {
			'Idempotency-Key': 'same-key',
		});
		expect(again.status).toBe(201);
		expect(again.body).toEqual(first.body);
		expect(again.headers.get('idempotent-replayed')).toBe('true');
		expect(env.upstream.received).toHaveLength(1);

		const different = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ subject: 'Other' }),
			{ 'Idempotency-Key': 'same-key' },
		);
		expect(different.status).toBe(422);
		expect(different.body.code).toBe('idempotency-key-reused');
		expect(different.body.original).toEqual({
			id: again.body.id,
			messageId: again.body.messageId,
			createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
		});
		expect(env.upstream.received).toHaveLength(1);
	});

	it('refuses an unverified or unknown identity with a clear problem', async () => {
		env = await startTestSandbox();
		const unverified = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ identity: UNVERIFIED }),
			{ 'Idempotency-Key': 'u-1' },
		);
		expect(unverified.status).toBe(422);
		expect(unverified.body).toMatchObject({
			code: 'identity-not-verified',
			field: 'identity',
			verifiedIdentities: [VERIFIED],
		});
		expect(String(unverified.body.detail)).toContain(UNVERIFIED);
		const unknown = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ identity: 'ceo@acme.example' }),
			{ 'Idempotency-Key': 'u-2' },
		);
		expect(unknown.body).toMatchObject({ code: 'unknown-identity' });
		const invalid = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ to: ['not an address'] }),
			{ 'Idempotency-Key': 'u-3' },
		);
		expect(invalid.status).toBe(422);
		expect(invalid.body.code).toBe('invalid-request');
		expect(env.upstream.received).toHaveLength(0);
		// A key whose request was refused before anything was sent is still free for a corrected request.
		expect(
			(
				await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', message(), {
					'Idempotency-Key': 'u-3',
				})
			).status,
		).toBe(201);
	});

	it('answers 429 with Retry-After when an account goes over its rate', async () => {
		env = await startTestSandbox({ rateLimit: { perSecond: 1, burst: 2 } });
		const statuses: number[] = [];
		let retryAfter: string | null = null;
		for (let i = 0; i < 4; i++) {
			const response = await api(env.sandbox, env.apiKey, 'GET', '/v1/account');
			statuses.push(response.status);
			if (response.status === 429) {
				retryAfter = response.headers.get('retry-after');
				expect(response.body).toMatchObject({ code: 'rate-limited', retryable: true });
			}
		}
		expect(statuses.slice(0, 2)).toEqual([200, 200]);
		expect(statuses).toContain(429);
		expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
	});

	it('records a recipient refused at relay time as a failed delivery', async () => {
		env = await startTestSandbox();
		const sent = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ to: ['jane@example.org', UNKNOWN_USER] }),
			{ 'Idempotency-Key': 'r-1' },
		);
		expect(sent.body).toMatchObject({
			status: 'partial',
			accepted: ['jane@example.org'],
			rejected: [expect.objectContaining({ address: UNKNOWN_USER, code: 550, retryable: false })],
		});
		const failures = await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries');
		expect(failures.body.nextCursor).toBeNull();
		expect(failures.body.data).toEqual([
			expect.objectContaining({
				recipient: UNKNOWN_USER,
				kind: 'failure',
				action: 'failed',
				hard: true,
				reason: 'userunknown',
				status: '5.1.1',
				replyCode: '550',
				source: 'relay',
				link: { method: 'relay-session', confidence: 'high' },
				message: expect.objectContaining({
					id: sent.body.id,
					messageId: sent.body.messageId,
					subject: 'Our offer',
					identity: VERIFIED,
				}),
			}),
		]);
	});

	it('records a bounce report sent to the bounce address, linked to its message', async () => {
		env = await startTestSandbox();
		const sent = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ to: ['full@example.org'], subject: 'Quarterly offer' }),
			{ 'Idempotency-Key': 'b-1' },
		);
		const reply = await deliverReport(
			env.sandbox,
			String(sent.body.envelopeFrom),
			dsnReport({
				to: String(sent.body.envelopeFrom),
				recipient: 'full@example.org',
				status: '5.2.2',
				diagnostic: '552 5.2.2 Mailbox full',
				messageId: String(sent.body.messageId),
				subject: 'Quarterly offer',
			}),
		);
		expect(reply).toMatch(/^250 .*rpt_/);
		const failures = await api(
			env.sandbox,
			env.apiKey,
			'GET',
			'/v1/failed-deliveries?recipient=FULL@example.org',
		);
		expect(failures.body.data).toEqual([
			expect.objectContaining({
				recipient: 'full@example.org',
				kind: 'failure',
				reason: 'mailboxfull',
				hard: false,
				status: '5.2.2',
				source: 'bounce-report',
				reportingMta: 'mx.example.net',
				remoteMta: 'mbox.example.net',
				reportId: expect.stringMatching(/^rpt_/),
				link: { method: 'bounce-address', confidence: 'high' },
				message: expect.objectContaining({
					id: sent.body.id,
					subject: 'Quarterly offer',
					identity: VERIFIED,
				}),
			}),
		]);
		// Filters: a soft failure is not "hard"; a report about another account's message is not listed.
		expect(
			(await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries?verdict=hard')).body.data,
		).toEqual([]);
		const other = env.sandbox.createAccount('Other Co', []);
		expect(
			(await api(env.sandbox, other.apiKey, 'GET', '/v1/failed-deliveries')).body.data,
		).toEqual([]);
	});

	it('links a report without the bounce address by its envelope id, and refuses mail for other domains', async () => {
		env = await startTestSandbox();
		const sent = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ to: ['gone@example.org'] }),
			{ 'Idempotency-Key': 'e-1' },
		);
		await deliverReport(
			env.sandbox,
			`postmaster@${SANDBOX_DOMAIN}`,
			dsnReport({
				to: `postmaster@${SANDBOX_DOMAIN}`,
				recipient: 'gone@example.org',
				status: '5.1.1',
				diagnostic: '550 5.1.1 User unknown',
				envelopeId: String(sent.body.deliveryId),
			}),
		);
		const failures = await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries');
		expect(failures.body.data).toEqual([
			expect.objectContaining({
				recipient: 'gone@example.org',
				reason: 'userunknown',
				hard: true,
				link: { method: 'envelope-id', confidence: 'high' },
				message: expect.objectContaining({ id: sent.body.id }),
			}),
		]);
		await expect(
			deliverReport(env.sandbox, 'someone@elsewhere.example', 'Subject: hi\r\n\r\nhi\r\n'),
		).rejects.toThrow(/Relaying denied/);
	});

	it('pages failed deliveries with a cursor, newest first, and filters by time and type', async () => {
		env = await startTestSandbox();
		const recipients = Array.from({ length: 7 }, (_, i) => `gone${i}@example.org`);
		const sent = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ to: ['jane@example.org'] }),
			{ 'Idempotency-Key': 'p-1' },
		);
		for (const [i, recipient] of recipients.entries()) {
			await deliverReport(
				env.sandbox,
				String(sent.body.envelopeFrom),
				dsnReport({
					to: String(sent.body.envelopeFrom),
					recipient,
					status: i === 6 ? '4.2.2' : '5.1.1',
					action: i === 6 ? 'delayed' : 'failed',
					diagnostic: i === 6 ? '452 4.2.2 Mailbox full' : '550 5.1.1 User unknown',
				}),
			);
		}
		const seen: string[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const page: Awaited<ReturnType<typeof api>> = await api(
				env.sandbox,
				env.apiKey,
				'GET',
				`/v1/failed-deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
			);
			expect(page.status).toBe(200);
			seen.push(
				...(page.body.data as Array<{ recipient: string }>).map((entry) => entry.recipient),
			);
			cursor = page.body.nextCursor as string | null;
			pages += 1;
		} while (cursor);
		expect(seen).toEqual(recipients.slice(0, 6).reverse());
		expect(pages).toBe(3);
		const withDelays = await api(
			env.sandbox,
			env.apiKey,
			'GET',
			'/v1/failed-deliveries?type=failure,delay&limit=100',
		);
		expect((withDelays.body.data as unknown[]).length).toBe(7);
		const future = await api(
			env.sandbox,
			env.apiKey,
			'GET',
			`/v1/failed-deliveries?since=${new Date(Date.now() + 60_000).toISOString()}`,
		);
		expect(future.body.data).toEqual([]);
		expect(
			(await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries?since=yesterday')).status,
		).toBe(400);
		expect(
			(await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries?cursor=bogus')).status,
		).toBe(400);
	});

	it('answers 503 and keeps the key free when the upstream refuses temporarily, so a retry sends exactly once', async () => {
		env = await startTestSandbox({}, { onMail: (count) => (count === 1 ? '421' : undefined) });
		const first = await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', message(), {
			'Idempotency-Key': 't-1',
		});
		expect(first.status).toBe(503);
		expect(first.headers.get('retry-after')).toBe('2');
		expect(first.body).toMatchObject({ code: 'upstream-unavailable', retryable: true });
		const retry = await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', message(), {
			'Idempotency-Key': 't-1',
		});
		expect(retry.status).toBe(201);
		expect(env.upstream.received).toHaveLength(1);
	});

	it('does not send again when the upstream connection broke after the data (result unknown)', async () => {
		env = await startTestSandbox({}, { afterData: () => 'drop' });
		const first = await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', message(), {
			'Idempotency-Key': 'x-1',
		});
		expect(first.status).toBe(502);
		expect(first.body.code).toBe('upstream-result-unknown');
		const retry = await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', message(), {
			'Idempotency-Key': 'x-1',
		});
		expect(retry.status).toBe(502);
		expect(retry.headers.get('idempotent-replayed')).toBe('true');
		expect(env.upstream.received).toHaveLength(1);
	});
});

describe('MSC sandbox storage and configuration', () => {
	it('keeps accounts, keys, messages, idempotency answers and failures across a restart', async () => {
		const db = tempDb();
		env = await startTestSandbox({ db });
		expect(env.sandbox.demo?.apiKey).toBe(env.apiKey);
		const sent = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ to: [UNKNOWN_USER, 'jane@example.org'] }),
			{ 'Idempotency-Key': 'persist-1' },
		);
		expect(sent.status).toBe(201);
		await env.close();

		env = await startTestSandbox({ db });
		expect(env.sandbox.demo).toBeUndefined(); // the demo account already exists: not created (or printed) again
		const again = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			message({ to: [UNKNOWN_USER, 'jane@example.org'] }),
			{ 'Idempotency-Key': 'persist-1' },
		);
		expect(again.body).toEqual(sent.body);
		expect(env.upstream.received).toHaveLength(0);
		const failures = await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries');
		expect(failures.body.data).toEqual([
			expect.objectContaining({
				recipient: UNKNOWN_USER,
				message: expect.objectContaining({ id: sent.body.id }),
			}),
		]);
		expect(
			(await api(env.sandbox, env.apiKey, 'GET', `/v1/messages/${String(sent.body.id)}`)).body,
		).toMatchObject({ id: sent.body.id, status: 'partial' });
	});

	it('creates the demo account with a random key once, and stores only a hash of it', async () => {
		const db = tempDb();
		const first = await startSandbox({ port: 0, smtpPort: 0, db, demo: { apiKey: undefined } });
		const key = first.demo!.apiKey;
		expect(key).toMatch(/^msc_sk_[A-Za-z0-9_-]{32}$/);
		const stored = first.store.db.prepare('SELECT key_hash FROM api_keys').all() as Array<{
			key_hash: string;
		}>;
		expect(stored).toHaveLength(1);
		expect(stored[0].key_hash).not.toContain(key);
		await first.close();
		const second = await startSandbox({ port: 0, smtpPort: 0, db });
		expect(second.demo).toBeUndefined();
		expect((await api(second, key, 'GET', '/v1/account')).status).toBe(200);
		await second.close();
	});

	it('reads a config file and lets flags win', () => {
		const file = join(tempFolder(), 'msc.json');
		writeFileSync(
			file,
			JSON.stringify({
				port: 9100,
				domain: 'from-file.test',
				upstream: { host: '127.0.0.2', port: 2600 },
				demo: { apiKey: 'msc_sk_from_file' },
			}),
		);
		const config = resolveConfig(
			parseArgs([
				'--config',
				file,
				'--port',
				'9200',
				'--smtp-port=9201',
				'--upstream',
				'localhost:1026',
				'--db',
				':memory:',
			]),
		);
		expect(config).toMatchObject({
			host: '127.0.0.1',
			port: 9200,
			smtpPort: 9201,
			domain: 'from-file.test',
			db: ':memory:',
			upstream: { host: 'localhost', port: 1026 },
			demo: { apiKey: 'msc_sk_from_file', enabled: true },
		});
		expect(resolveConfig(parseArgs([]))).toMatchObject({
			host: '127.0.0.1',
			port: 8025,
			smtpPort: 2526,
			upstream: { host: '127.0.0.1', port: 1025 },
		});
		expect(() => parseArgs(['--upstream', 'nohost'])).toThrow(/HOST:PORT/);
		expect(() => resolveConfig(parseArgs(['--port', '70000']))).toThrow(/Invalid port/);
		expect(parseArgs(['--no-demo']).demo).toEqual({ enabled: false });
	});
});
