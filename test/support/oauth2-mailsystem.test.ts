/**
 * OAuth2 (SASL XOAUTH2) on the real Postfix + Dovecot, with tokens from the fake Microsoft identity
 * platform (test/fakes/microsoft-identity): Dovecot's oauth2 passdb asks the fake's introspection
 * endpoint about every bearer token, and Postfix takes SASL from Dovecot, so both SMTP submission and
 * IMAP accept or refuse a token for real. The clients are the ones the node uses: nodemailer and
 * imapflow. The exact answers to a refused token are recorded here for the node to map:
 *   SMTP: "334 <base64 of {"status":"401","schemes":"bearer","scope":"mail"}>", then after the
 *         client's empty line "535 5.7.8 Error: authentication failed: (reason unavailable)"
 *   IMAP: "+ <the same base64>", then "<tag> NO [AUTHENTICATIONFAILED] Authentication failed."
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import {
	startMicrosoftIdentity,
	type MicrosoftIdentity,
	type TokenSet,
} from '../fakes/microsoft-identity';
import {
	describeWithMailSystem,
	startMailSystem,
	type MailLogin,
	type MailSystem,
} from './mailsystem';

jest.setTimeout(120_000);

const CHALLENGE = Buffer.from('{"status":"401","schemes":"bearer","scope":"mail"}').toString(
	'base64',
);
const SMTP_REFUSED = '535 5.7.8 Error: authentication failed: (reason unavailable)';
const IMAP_REFUSED = 'NO [AUTHENTICATIONFAILED] Authentication failed.';

let idp: MicrosoftIdentity;
let mail: MailSystem;

beforeAll(async () => {
	idp = await startMicrosoftIdentity();
	mail = await startMailSystem({ oauth2IntrospectionUrl: idp.introspectionUrl });
	idp.signInAs = mail.sender.address;
}, 240_000);

afterAll(async () => {
	await mail?.stop();
	await idp?.stop();
});

function xoauth2(accessToken: string, user = mail.sender.address): string {
	return Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`).toString('base64');
}

interface Conversation {
	greeting: string;
	/** Sends one line and returns the server's whole answer to it. */
	say(line: string): Promise<string>;
	close(): void;
}

/**
 * A plain-text conversation, answer by answer (SMTP: up to the final "NNN " line; IMAP: up to the
 * tagged line, an untagged OK/BYE, or a "+" continuation).
 */
async function open(port: number, protocol: 'smtp' | 'imap'): Promise<Conversation> {
	const socket = net.connect(port, '127.0.0.1');
	socket.setEncoding('utf8');
	let buffer = '';
	let wake: (() => void) | undefined;
	socket.on('data', (chunk: string) => {
		buffer += chunk;
		wake?.();
	});
	socket.on('error', () => undefined);
	const complete = () => {
		if (!buffer.endsWith('\r\n')) return false;
		const last = buffer.trimEnd().split('\r\n').pop() ?? '';
		if (protocol === 'smtp') return /^\d{3} /.test(last);
		return last.startsWith('+') || /^(\*|[a-z]\d*) (OK|NO|BAD|BYE)\b/.test(last);
	};
	const answer = async () => {
		const deadline = Date.now() + 15_000;
		while (!complete()) {
			if (Date.now() > deadline) throw new Error(`no complete answer: ${JSON.stringify(buffer)}`);
			await new Promise<void>((resolve) => {
				wake = resolve;
				setTimeout(resolve, 100);
			});
		}
		const text = buffer.trimEnd();
		buffer = '';
		return text;
	};
	const greeting = await answer();
	return {
		greeting,
		async say(line) {
			socket.write(`${line}\r\n`);
			return await answer();
		},
		close: () => socket.destroy(),
	};
}

/** SMTP AUTH XOAUTH2: [EHLO answer, AUTH answer, and after a 334 challenge the answer to the empty line]. */
async function smtpAuth(accessToken: string, user?: string): Promise<string[]> {
	const smtp = await open(mail.smtpPort, 'smtp');
	try {
		const answers = [await smtp.say('EHLO client.test')];
		answers.push(await smtp.say(`AUTH XOAUTH2 ${xoauth2(accessToken, user)}`));
		if (answers[1].startsWith('334 ')) answers.push(await smtp.say(''));
		return answers;
	} finally {
		smtp.close();
	}
}

/** IMAP AUTHENTICATE XOAUTH2 (SASL-IR): [the tagged answer] or [the "+" challenge, the tagged answer]. */
async function imapAuth(accessToken: string, user?: string): Promise<string[]> {
	const imap = await open(mail.imapPort, 'imap');
	try {
		const first = await imap.say(`a1 AUTHENTICATE XOAUTH2 ${xoauth2(accessToken, user)}`);
		if (!first.startsWith('+')) return [first.split('\r\n').pop() ?? first];
		return [first, await imap.say('')];
	} finally {
		imap.close();
	}
}

async function sendWithNodemailer(login: MailLogin, subject: string) {
	const transport = nodemailer.createTransport(mail.smtpOptions(login));
	try {
		return await transport.sendMail({
			from: mail.sender.address,
			to: mail.sender.address,
			subject,
			text: 'Sent with SMTP AUTH XOAUTH2.',
		});
	} finally {
		transport.close();
	}
}

/** Logs in with imapflow and returns the subjects in INBOX. */
async function imapSubjects(login: MailLogin): Promise<string[]> {
	const client = new ImapFlow(mail.imapOptions(login) as never);
	client.on('error', () => undefined);
	await client.connect();
	try {
		const lock = await client.getMailboxLock('INBOX', { readOnly: true });
		try {
			const subjects: string[] = [];
			if (client.mailbox && client.mailbox.exists) {
				for await (const message of client.fetch('1:*', { envelope: true })) {
					subjects.push(message.envelope?.subject ?? '');
				}
			}
			return subjects;
		} finally {
			lock.release();
		}
	} finally {
		await client.logout().catch(() => client.close());
	}
}

async function imapLoginError(login: MailLogin): Promise<Record<string, unknown>> {
	const client = new ImapFlow(mail.imapOptions(login) as never);
	client.on('error', () => undefined);
	try {
		await client.connect();
		await client.logout();
		return {};
	} catch (error) {
		client.close();
		return error as Record<string, unknown>;
	}
}

async function waitForSubject(subject: string, login: MailLogin): Promise<void> {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		if ((await imapSubjects(login)).includes(subject)) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`"${subject}" did not arrive in INBOX\n${mail.logs()}`);
}

function isTokenSet(body: unknown): body is TokenSet {
	return typeof (body as TokenSet).access_token === 'string';
}

describeWithMailSystem(
	'OAuth2 (SASL XOAUTH2) on the real Postfix + Dovecot with the fake Microsoft identity platform',
	() => {
		let tokens: TokenSet;

		beforeAll(async () => {
			tokens = await idp.signIn();
		});

		test('both offer XOAUTH2 beside PLAIN and LOGIN, as Microsoft 365 does (no OAUTHBEARER)', async () => {
			const smtp = await open(mail.smtpPort, 'smtp');
			const ehlo = await smtp.say('EHLO client.test');
			smtp.close();
			expect(ehlo.split('\r\n')).toContain('250-AUTH PLAIN LOGIN XOAUTH2');
			const imap = await open(mail.imapPort, 'imap');
			const greeting = imap.greeting;
			imap.close();
			expect(greeting).toContain('AUTH=PLAIN AUTH=LOGIN AUTH=XOAUTH2]');
			expect(greeting).not.toContain('OAUTHBEARER');
			expect(mail.oauth2).toEqual({
				introspectionUrl: idp.introspectionUrl,
				mechanisms: ['xoauth2'],
			});
		});

		test('a valid token: SMTP "235 2.7.0 Authentication successful", IMAP "OK Logged in"; Dovecot asks the introspection endpoint each time', async () => {
			const before = idp.introspectionRequests;
			const smtp = await smtpAuth(tokens.access_token);
			expect(smtp[1]).toBe('235 2.7.0 Authentication successful');
			const imap = await imapAuth(tokens.access_token);
			expect(imap[0]).toMatch(/^a1 OK .*Logged in$/);
			expect(idp.introspectionRequests - before).toBe(2);
		});

		test('nodemailer sends through Postfix with SMTP AUTH XOAUTH2; imapflow logs in with XOAUTH2 and reads it back', async () => {
			const subject = `OAuth2 send ${randomUUID()}`;
			const info = await sendWithNodemailer({ accessToken: tokens.access_token }, subject);
			expect(info.accepted).toEqual([mail.sender.address]);
			expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
			await waitForSubject(subject, { accessToken: tokens.access_token });
			expect(mail.logs(200)).toMatch(
				/postfix\/smtpd\[\d+\]: \w+: client=localhost\[127\.0\.0\.1\], sasl_method=XOAUTH2, sasl_username=sales@example\.test/,
			);
			expect(mail.logs(200)).toMatch(
				/imap-login: Info: Login: user=<sales@example\.test>, method=XOAUTH2/,
			);
		});

		test('password logins keep working beside OAuth2', async () => {
			const subject = `password send ${randomUUID()}`;
			await sendWithNodemailer({}, subject);
			await waitForSubject(subject, {});
		});

		test(`an expired token is refused: SMTP "334 <challenge>" then "${SMTP_REFUSED}", IMAP "+ <challenge>" then "${IMAP_REFUSED}"; a refreshed token works`, async () => {
			const old = await idp.signIn();
			expect(idp.expireAccessTokens({ user: mail.sender.address })).toBeGreaterThan(0);

			expect(await smtpAuth(old.access_token)).toEqual([
				expect.stringContaining('250-AUTH PLAIN LOGIN XOAUTH2'),
				`334 ${CHALLENGE}`,
				SMTP_REFUSED,
			]);
			expect(await imapAuth(old.access_token)).toEqual([`+ ${CHALLENGE}`, `a1 ${IMAP_REFUSED}`]);

			// What the node's clients report.
			const sendError = await sendWithNodemailer(
				{ accessToken: old.access_token },
				'never sent',
			).catch((e: Record<string, unknown>) => e);
			expect(sendError).toMatchObject({
				code: 'EAUTH',
				responseCode: 535,
				response: SMTP_REFUSED,
				command: 'AUTH XOAUTH2',
				message: `Invalid login: ${SMTP_REFUSED}`,
			});
			const imapError = await imapLoginError({ accessToken: old.access_token });
			expect(imapError).toMatchObject({
				authenticationFailed: true,
				serverResponseCode: 'AUTHENTICATIONFAILED',
				// imapflow reports the tagged line; its tags are numbers.
				response: expect.stringMatching(
					/^\d+ NO \[AUTHENTICATIONFAILED\] Authentication failed\.$/,
				),
			});
			expect(mail.logs(200)).toContain(
				'oauth2 failed: Introspection failed: Provided token is not valid',
			);

			const requestsBefore = idp.tokenRequests.length;
			const renewed = await idp.refresh(old.refresh_token!);
			expect(renewed.status).toBe(200);
			expect(idp.tokenRequests.length).toBe(requestsBefore + 1);
			expect(idp.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', status: 200 });
			if (!isTokenSet(renewed.body)) throw new Error('no tokens');
			expect(renewed.body.access_token).not.toBe(old.access_token);
			expect((await smtpAuth(renewed.body.access_token))[1]).toBe(
				'235 2.7.0 Authentication successful',
			);
			const subject = `after refresh ${randomUUID()}`;
			await sendWithNodemailer({ accessToken: renewed.body.access_token }, subject);
			await waitForSubject(subject, { accessToken: renewed.body.access_token });
		});

		test('a token set to expire in 2 s works until then and is refused after', async () => {
			const fresh = await idp.signIn();
			idp.expireAccessTokens({ inSeconds: 2 });
			expect((await smtpAuth(fresh.access_token))[1]).toBe('235 2.7.0 Authentication successful');
			await new Promise((resolve) => setTimeout(resolve, 2_100));
			expect((await smtpAuth(fresh.access_token))[2]).toBe(SMTP_REFUSED);
			expect((await imapAuth(fresh.access_token))[1]).toBe(`a1 ${IMAP_REFUSED}`);
		});

		test('tokens issued with a short lifetime say so (expires_in) and stop working after it', async () => {
			idp.setAccessTokenLifetime(1);
			try {
				const short = await idp.signIn();
				expect(short).toMatchObject({ expires_in: 1, ext_expires_in: 1 });
				await new Promise((resolve) => setTimeout(resolve, 1_100));
				expect((await imapAuth(short.access_token))[1]).toBe(`a1 ${IMAP_REFUSED}`);
			} finally {
				idp.setAccessTokenLifetime(3599);
			}
		});

		test('a revoked grant: the access token is refused by both and the refresh token gets invalid_grant (HTTP 400, AADSTS50173); signing in again works', async () => {
			const granted = await idp.signIn();
			expect(idp.revoke({ user: mail.sender.address })).toBeGreaterThan(0);

			expect((await smtpAuth(granted.access_token))[2]).toBe(SMTP_REFUSED);
			expect((await imapAuth(granted.access_token))[1]).toBe(`a1 ${IMAP_REFUSED}`);
			const refused = await idp.refresh(granted.refresh_token!);
			expect(refused.status).toBe(400);
			expect(refused.body).toMatchObject({
				error: 'invalid_grant',
				error_codes: [50173],
				error_description: expect.stringMatching(
					/^AADSTS50173: The provided grant has expired due to it being revoked/,
				),
			});
			expect(idp.tokenRequests.at(-1)).toMatchObject({
				grantType: 'refresh_token',
				status: 400,
				error: 'invalid_grant',
				aadsts: 50173,
			});

			tokens = await idp.signIn();
			expect((await smtpAuth(tokens.access_token))[1]).toBe('235 2.7.0 Authentication successful');
		});

		test('a token is refused for another mailbox (Dovecot: "Username ... did not match ...") and a token never issued is refused the same way', async () => {
			expect((await smtpAuth(tokens.access_token, `other@${mail.domain}`))[2]).toBe(SMTP_REFUSED);
			expect((await imapAuth(tokens.access_token, `other@${mail.domain}`))[1]).toBe(
				`a1 ${IMAP_REFUSED}`,
			);
			expect(mail.logs(200)).toContain(
				`Username 'other@example.test' did not match 'sales@example.test'`,
			);
			expect((await imapAuth('EwBnot-a-token-we-issued'))[1]).toBe(`a1 ${IMAP_REFUSED}`);
		});
	},
);

describeWithMailSystem('OAuth2 with OAUTHBEARER offered too (Dovecot alone)', () => {
	let imapOnly: MailSystem;

	beforeAll(async () => {
		imapOnly = await startMailSystem({
			oauth2IntrospectionUrl: idp.introspectionUrl,
			oauth2Mechanisms: ['xoauth2', 'oauthbearer'],
			imapOnly: true,
		});
	}, 120_000);

	afterAll(async () => {
		await imapOnly?.stop();
	});

	test('imapflow prefers OAUTHBEARER when offered, and Dovecot checks the token the same way', async () => {
		const imap = await open(imapOnly.imapPort, 'imap');
		const greeting = imap.greeting;
		imap.close();
		expect(greeting).toContain('AUTH=XOAUTH2 AUTH=OAUTHBEARER');
		const { access_token } = await idp.signIn();
		const client = new ImapFlow(imapOnly.imapOptions({ accessToken: access_token }) as never);
		await client.connect();
		await client.logout();
		expect(imapOnly.logs(50)).toMatch(/Login: user=<sales@example\.test>, method=OAUTHBEARER/);
	});
});
