/**
 * What sends share beyond one execution, run through n8n-core's engine: the Idempotency Key (Custom
 * SMTP through the ledger, MSC through its API), the daily caps and the connection limit of an
 * account across executions running at once.
 */
import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';

import { DeliveryChannelMscApi } from '../../../../credentials/DeliveryChannelMscApi.credentials';
import {
	deliveryIdForKey,
	processCoordinator,
	type LedgerEntry,
	type Reservation,
} from '../../../../core/coordination';
import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';
import {
	startSmtpServer,
	type TestSmtpOptions,
	type TestSmtpServer,
} from '../../../helpers/smtp-server';
import { startTestSandbox, VERIFIED, type TestSandbox } from '../../../sandbox/helpers';
import { startFakeGmail, type FakeGmail } from '../../../fakes/gmail';
import {
	gmailCredential,
	NODE as GMAIL_NODE,
	runGmail,
	sendParameters,
} from '../channels/gmail/harness';

const TYPE = 'CUSTOM.deliveryChannel';
const SMTP_ACCOUNT = 'smtp:cred-deliveryChannelSmtpApi';

let server: TestSmtpServer | undefined;
let sandbox: TestSandbox | undefined;
afterEach(async () => {
	await server?.close();
	await sandbox?.close();
	server = undefined;
	sandbox = undefined;
});

const send = (channel: 'smtp' | 'msc', options: IDataObject = {}): INodeParameters => ({
	channel,
	operation: 'send',
	identity: {
		__rl: true,
		mode: 'address',
		value: channel === 'msc' ? VERIFIED : 'Jane Doe <jane@example.com>',
	},
	to: '={{ $json.email }}',
	subject: '={{ "Hello " + $json.name }}',
	emailFormat: 'text',
	text: '={{ "Hi " + $json.name }}',
	options: options as INodeParameters,
});

async function runSmtp(
	smtp: TestSmtpServer,
	items: IDataObject[],
	options: IDataObject = {},
	credential: IDataObject = {},
) {
	const nodes: INode[] = [
		manualTrigger(),
		itemsNode('Leads', items),
		node('Send', TYPE, send('smtp', options), {
			credentials: ['deliveryChannelSmtpApi'],
			onError: 'continueRegularOutput',
		}),
	];
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelSmtpApi: {
				host: smtp.host,
				port: smtp.port,
				security: 'none',
				user: '',
				password: '',
				...credential,
			},
		},
	});
	return result.output('Send').map((item) => item.json);
}

const keyed = { idempotencyKey: '={{ $json.id }}-intro' };
const lead = (id: string) => ({ id, email: `${id}@example.org`, name: id });

async function smtpServer(options: TestSmtpOptions = {}) {
	server = await startSmtpServer(options);
	return server;
}

describe('Idempotency Key on Custom SMTP (the shared ledger)', () => {
	test('a re-run sends nothing: the item is a duplicate naming the first email, and the key gives a fixed Message-ID', async () => {
		const smtp = await smtpServer();
		const [first] = await runSmtp(smtp, [lead('L1')], keyed);
		expect(first).toMatchObject({ status: 'sent', idempotencyKey: 'L1-intro' });
		const deliveryId = deliveryIdForKey(SMTP_ACCOUNT, 'L1-intro');
		expect(first.messageId).toBe(`<${deliveryId}@example.com>`);
		expect(smtp.received[0].headers['message-id']).toBe(`<${deliveryId}@example.com>`);

		const [again] = await runSmtp(smtp, [lead('L1')], keyed);
		expect(again).toMatchObject({
			status: 'duplicate',
			idempotencyKey: 'L1-intro',
			messageId: `<${deliveryId}@example.com>`,
			sentAt: expect.any(String),
		});
		expect(String((again.warnings as string[])[0])).toMatch(
			/Not sent: Idempotency Key "L1-intro" was already used/,
		);
		expect(smtp.received).toHaveLength(1);
	});

	test('the same key twice in one execution: one email; other keys and items without a key are sent', async () => {
		const smtp = await smtpServer();
		const out = await runSmtp(
			smtp,
			[lead('A'), lead('A'), lead('B'), { ...lead('C'), id: '' }],
			keyed,
		);
		expect(out.map((j) => j.status)).toEqual(['sent', 'duplicate', 'sent', 'sent']);
		expect(smtp.received).toHaveLength(3);
	});

	test('a send that certainly failed frees the key: the re-run sends', async () => {
		let refuse = true;
		const smtp = await smtpServer({
			rcpt: () => (refuse ? [550, '5.1.1 No such user'] : undefined),
		});
		const [failed] = await runSmtp(smtp, [lead('L2')], keyed);
		expect(failed).toMatchObject({ error: expect.stringMatching(/refused/i) });
		refuse = false;
		const [sent] = await runSmtp(smtp, [lead('L2')], keyed);
		expect(sent.status).toBe('sent');
		expect(smtp.received).toHaveLength(1);
	});

	test('after an unknown outcome the re-run is EUNKNOWN, never a second email (no mailbox to look in)', async () => {
		const smtp = await smtpServer({ afterData: (count) => (count === 1 ? 'drop' : undefined) });
		const [unknown] = await runSmtp(smtp, [lead('L3')], keyed);
		expect(unknown).toMatchObject({ code: 'EUNKNOWN' });
		const [again] = await runSmtp(smtp, [lead('L3')], keyed);
		expect(again).toMatchObject({ code: 'EUNKNOWN' });
		expect(String(again.error)).toMatch(/never confirmed/);
		expect(smtp.received).toHaveLength(1);
	}, 60_000);

	test('a keyed send is marked started only right before MAIL FROM: one taken over while it waited for a connection sends nothing', async () => {
		const coordinator = processCoordinator();
		const key = 'T1-intro';
		const proposal = { messageId: 'other@x', deliveryId: 'other', reservedAt: 'now' };
		// What the ledger says at MAIL FROM (the local ledger reads it when called).
		const atMailFrom: Array<Promise<Reservation>> = [];
		const smtp = await smtpServer({
			onMail: () => {
				atMailFrom.push(coordinator.reserve(SMTP_ACCOUNT, key, proposal));
				return undefined;
			},
		});
		// The account's only connection is busy: the send waits for it, its key reserved, unstarted.
		const busy = await coordinator.connectionSlot(SMTP_ACCOUNT, 1, { maxWaitMs: 60_000 });
		const connectionSlot = coordinator.connectionSlot.bind(coordinator);
		let waiting!: () => void;
		const waitsForSlot = new Promise<void>((resolve) => (waiting = resolve));
		const slots = jest.spyOn(coordinator, 'connectionSlot').mockImplementation((...args) => {
			waiting();
			return connectionSlot(...args);
		});
		const run = runSmtp(smtp, [lead('T1')], keyed, { maxConnections: 1 });
		let other: string | false = false;
		try {
			await waitsForSlot;
			const seen = await coordinator.reserve(SMTP_ACCOUNT, key, proposal);
			if (seen.kind !== 'pending') throw new Error(`not pending: ${seen.kind}`);
			expect(seen.entry).toMatchObject({ state: 'reserved', leaseUntil: expect.any(Number) });
			expect(seen.entry.startedAt).toBeUndefined();
			// Another worker takes the key over (as it does once a lease lapsed), then the slot frees.
			other = await coordinator.takeOver(SMTP_ACCOUNT, key, seen.entry.token, proposal);
			expect(other).toEqual(expect.any(String));
			await busy();
			const [lost] = await run;
			expect(lost).toMatchObject({ status: 'not sent', code: 'ENOTSENT' });
			expect(String(lost.error)).toMatch(/took the key over, so this one sends nothing/);
			expect(smtp.attempts).toBe(0);
			expect(smtp.received).toHaveLength(0);
		} finally {
			slots.mockRestore();
			await busy();
			await run;
		}

		// The other worker gave up the key: the next run sends, started before its MAIL FROM.
		await coordinator.release(SMTP_ACCOUNT, key, other as string);
		const [sent] = await runSmtp(smtp, [lead('T1')], keyed, { maxConnections: 1 });
		expect(sent.status).toBe('sent');
		expect(smtp.received).toHaveLength(1);
		expect(await atMailFrom[0]).toMatchObject({
			kind: 'pending',
			entry: { state: 'reserved', startedAt: expect.any(String) },
		});
	}, 60_000);

	test('a key that cannot be used fails the item naming the field and the value; nothing is sent', async () => {
		const smtp = await smtpServer();
		const [bad] = await runSmtp(smtp, [{ ...lead('x'), id: 'lead 42' }], keyed);
		expect(bad).toMatchObject({ code: 'EINPUT', field: 'options.idempotencyKey' });
		expect(String(bad.error)).toContain('"lead 42-intro"');
		expect(smtp.received).toHaveLength(0);
	});
});

describe('Shared limits of a Custom SMTP account', () => {
	test('Recipients per Day: the item that would pass the cap is EQUOTA with the reset time, the rest not sent; the count holds across executions', async () => {
		const smtp = await smtpServer();
		const cap = { recipientsPerDay: 3 };
		expect((await runSmtp(smtp, [lead('a'), lead('b')], {}, cap)).map((j) => j.status)).toEqual([
			'sent',
			'sent',
		]);
		const out = await runSmtp(smtp, [lead('c'), lead('d'), lead('e')], {}, cap);
		expect(out[0].status).toBe('sent');
		expect(out[1]).toMatchObject({
			status: 'not sent',
			code: 'EQUOTA',
			resetsAt: expect.any(String),
		});
		expect(String(out[1].error)).toMatch(/Recipients per Day limit of 3 is reached/);
		// Held back, or refused itself when it was already on its way: never sent either way.
		expect(['ENOTSENT', 'EQUOTA']).toContain(out[2].code);
		expect(smtp.received).toHaveLength(3);
	});

	test('Recipients per Message: a message over it fails before its key is taken or the server is asked; the others go', async () => {
		const smtp = await smtpServer();
		const cap = { recipientsPerMessage: 2 };
		const many = { ...lead('m'), email: 'a@example.org, b@example.org, c@example.org' };
		const out = await runSmtp(smtp, [lead('x'), many, lead('y')], keyed, cap);
		expect(out.map((j) => j.code ?? j.status)).toEqual(['sent', 'EINPUT', 'sent']);
		expect(String(out[1].error)).toMatch(/has 3 recipients .*at most 2 per message/);
		expect(smtp.received).toHaveLength(2);
		// The key was not taken: with the recipients fixed, the same key sends.
		const again = await runSmtp(smtp, [{ ...many, email: 'a@example.org' }], keyed, cap);
		expect(again[0].status).toBe('sent');
		expect(smtp.received).toHaveLength(3);
	});

	test('Max Connections holds across executions running at once', async () => {
		const smtp = await smtpServer();
		let peak = 0;
		const watch = setInterval(() => (peak = Math.max(peak, smtp.openConnections)), 2);
		const runs = await Promise.all(
			[0, 1, 2].map((run) =>
				runSmtp(
					smtp,
					[0, 1, 2].map((i) => lead(`r${run}i${i}`)),
					{},
					{ maxConnections: 1 },
				),
			),
		);
		clearInterval(watch);
		expect(runs.flat().map((j) => j.status)).toEqual(Array(9).fill('sent'));
		expect(smtp.received).toHaveLength(9);
		expect(peak).toBe(1);
	});
});

describe('Idempotency Key on MSC (the API keeps the key)', () => {
	async function runMsc(target: TestSandbox, items: IDataObject[], subject?: string) {
		const parameters = { ...send('msc', keyed), ...(subject ? { subject } : {}) };
		const nodes: INode[] = [
			manualTrigger(),
			itemsNode('Leads', items),
			node('Send', TYPE, parameters, {
				credentials: ['deliveryChannelMscApi'],
				onError: 'continueRegularOutput',
			}),
		];
		const result = await runWorkflow({
			workflow: { nodes, connections: chain(...nodes) },
			nodeTypes: { [TYPE]: new DeliveryChannel() },
			credentials: {
				deliveryChannelMscApi: { baseUrl: `${target.sandbox.apiUrl}/`, apiKey: target.apiKey },
			},
			credentialTypes: { deliveryChannelMscApi: new DeliveryChannelMscApi() },
		});
		return result.output('Send').map((item) => item.json);
	}

	test('a re-run, and a re-run with changed content, are duplicates of the first email; MSC relayed one', async () => {
		sandbox = await startTestSandbox();
		const [first] = await runMsc(sandbox, [lead('M1')]);
		expect(first).toMatchObject({ status: 'sent', idempotencyKey: 'M1-intro' });
		const [again] = await runMsc(sandbox, [lead('M1')]);
		expect(again).toMatchObject({
			status: 'duplicate',
			messageId: first.messageId,
			sentAt: expect.any(String),
		});
		const [changed] = await runMsc(sandbox, [lead('M1')], 'Another subject');
		expect(changed).toMatchObject({ status: 'duplicate', messageId: first.messageId });
		expect(sandbox.upstream.received).toHaveLength(1);
	});
});

describe('Idempotency Key on Gmail (the shared ledger, Sent as the look-up)', () => {
	let fake: FakeGmail | undefined;
	afterEach(async () => {
		await fake?.close();
		fake = undefined;
	});
	const mail = (id: string) => ({
		id,
		from: 'jane@acme.example',
		to: 'bob@example.net',
		subject: 'Hello',
		text: 'Hi',
	});
	async function runOnce(id: string, readScope = true) {
		const tokens = readScope
			? fake!.issueTokens()
			: fake!.issueTokens([fake!.SCOPE.send, fake!.SCOPE.settingsBasic]);
		const run = await runGmail({
			items: [mail(id)],
			parameters: sendParameters({ options: keyed }),
			credential: gmailCredential(fake!, tokens),
		});
		return run.output(GMAIL_NODE)[0].json;
	}
	const start = async () => {
		fake = await startFakeGmail({
			account: { email: 'jane@acme.example', displayName: 'Jane Doe' },
		});
	};

	test('a re-run is a duplicate of the stored message', async () => {
		await start();
		const first = await runOnce('G1');
		expect(first.status).toBe('sent');
		expect(await runOnce('G1')).toMatchObject({ status: 'duplicate', messageId: first.messageId });
		expect(fake!.storedMessageIds()).toEqual([first.messageId]);
	});

	test('a send whose key was taken over while it waited for its turn sends nothing: the key is marked started only at the send request', async () => {
		await start();
		const coordinator = processCoordinator();
		const messageSlot = coordinator.messageSlot.bind(coordinator);
		const seen: LedgerEntry[] = [];
		const other = { messageId: 'other@x', deliveryId: 'other', reservedAt: 'now' };
		// While the send waits for its place in the minute, another worker takes its key over.
		const slots = jest
			.spyOn(coordinator, 'messageSlot')
			.mockImplementation(async (account, ...rest) => {
				const held = await coordinator.reserve(account, 'G4-intro', other);
				if (held.kind !== 'pending') throw new Error(`not pending: ${held.kind}`);
				seen.push(held.entry);
				await coordinator.takeOver(account, 'G4-intro', held.entry.token, other);
				return await messageSlot(account, ...rest);
			});
		try {
			const lost = await runOnce('G4');
			expect(lost).toMatchObject({ status: 'not sent', code: 'ENOTSENT' });
			expect(String(lost.error)).toMatch(/took the key over, so this one sends nothing/);
		} finally {
			slots.mockRestore();
		}
		expect(seen).toEqual([
			expect.objectContaining({ state: 'reserved', leaseUntil: expect.any(Number) }),
		]);
		expect(seen[0].startedAt).toBeUndefined();
		expect(fake!.state.requests.filter((r) => r.method === 'send')).toHaveLength(0);
		expect(fake!.storedMessageIds()).toEqual([]);
	});

	test('an unknown outcome, then a re-run that can read Sent: found there, a duplicate, stored once', async () => {
		await start();
		fake!.inject('send', 'backend500', { stored: true });
		const unknown = await runOnce('G2', false);
		expect(unknown).toMatchObject({ code: 'EUNKNOWN' });
		expect(await runOnce('G2')).toMatchObject({
			status: 'duplicate',
			messageId: unknown.messageId,
		});
		expect(fake!.storedMessageIds()).toEqual([unknown.messageId]);
	}, 60_000);

	test('an unknown outcome that never reached Google, then a re-run that can read Sent: absent, sent once', async () => {
		await start();
		fake!.inject('send', 'backend500', { stored: false });
		expect(await runOnce('G3', false)).toMatchObject({ code: 'EUNKNOWN' });
		const again = await runOnce('G3');
		expect(again.status).toBe('sent');
		expect(fake!.storedMessageIds()).toEqual([again.messageId]);
	}, 60_000);
});
