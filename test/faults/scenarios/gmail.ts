/**
 * Gmail rows of the fault matrix. Each send row runs the real Delivery Channel node in n8n-core
 * (On Error = Continue, as a user sets it) against the fake Google (test/fakes/gmail), which injects
 * one fault and is then asked what it actually stored, by Message-ID. The mailbox row runs the real
 * Delivery Channel Trigger through n8n-core's poll context and counts what the poll cost the server.
 */
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { DeliveryChannelTrigger } from '../../../nodes/DeliveryChannelTrigger/DeliveryChannelTrigger.node';
import {
	startFakeGmail,
	type FakeGmail,
	type FakeGmailOptions,
	type OAuthTokenData,
} from '../../fakes/gmail';
import {
	addReports,
	CREDENTIAL,
	gmailCredential,
	NODE,
	runGmail,
	sendParameters,
} from '../../nodes/DeliveryChannel/channels/gmail/harness';
import { pollOnce } from '../../support/poll';
import { sendRow, type FaultRow, type FaultScenario } from '../types';

const MiB = 1024 * 1024;

interface SendCase {
	name: string;
	items?: number;
	fake?: FakeGmailOptions;
	/** Whether the credential may read the mailbox (gmail.readonly); default true. */
	readScope?: boolean;
	/** Token data other than a fresh token. */
	tokens?: (fake: FakeGmail) => OAuthTokenData | IDataObject;
	setup?: (fake: FakeGmail) => void;
	parameters?: INodeParameters;
	/** A file attached to every item (forces the resumable upload when large). */
	attachmentBytes?: number;
	/** Checks of its own, on the node's items and the fake; returns problems. */
	check?: (items: IDataObject[], fake: FakeGmail) => string[];
	note?: (items: IDataObject[], fake: FakeGmail) => string;
}

function mails(count: number): IDataObject[] {
	return Array.from({ length: count }, (_, i) => ({
		from: 'jane@acme.example',
		to: `lead${i}@example.net`,
		subject: `Offer ${i}`,
		text: 'Hello',
	}));
}

function expectCodes(items: IDataObject[], wanted: Array<string | undefined>): string[] {
	const got = items.map((item) => (item.code as string | undefined) ?? item.status);
	return got.join(',') === wanted.join(',')
		? []
		: [`expected ${wanted.join(', ')}, got ${got.join(', ')}`];
}

function sendScenario(spec: SendCase): FaultScenario {
	return {
		name: spec.name,
		area: 'gmail',
		async run(): Promise<FaultRow> {
			const fake = await startFakeGmail({
				account: { email: 'jane@acme.example', displayName: 'Jane Doe' },
				...spec.fake,
			});
			try {
				const tokens =
					spec.tokens?.(fake) ??
					(spec.readScope === false
						? fake.issueTokens([fake.SCOPE.send, fake.SCOPE.settingsBasic])
						: fake.issueTokens());
				spec.setup?.(fake);
				const itemsIn = spec.items ?? 1;
				const attachment = spec.attachmentBytes
					? {
							files: [
								{
									propertyName: 'data',
									fileName: 'big.bin',
									mimeType: 'application/octet-stream',
									content: 'A'.repeat(spec.attachmentBytes),
								},
							],
						}
					: {};
				const run = await runGmail({
					items: mails(itemsIn),
					parameters: sendParameters({
						...spec.parameters,
						options: {
							...(spec.parameters?.options as IDataObject | undefined),
							...(spec.attachmentBytes
								? { attachments: { attachment: [{ binaryPropertyName: 'data' }] } }
								: {}),
						},
					}),
					credential: gmailCredential(fake, tokens),
					...attachment,
				});
				const problems: string[] = [];
				let items: INodeExecutionData[] = [];
				if (run.error) problems.push(`the node failed: ${run.error.message}`);
				else
					items = [
						...run.output(NODE),
						...(run.run.data.resultData.runData[NODE]?.[0]?.data?.main?.[1] ?? []),
					];
				const json = items.map((item) => item.json);
				problems.push(...(spec.check?.(json, fake) ?? []));
				const secret = typeof tokens.access_token === 'string' ? tokens.access_token : '';
				if (secret && JSON.stringify(json).includes(secret))
					problems.push('the access token is in the output');
				return sendRow({
					scenario: spec.name,
					area: 'gmail',
					itemsIn,
					items,
					serverMessageIds: fake.storedMessageIds(),
					problems,
					note: spec.note?.(json, fake),
				});
			} finally {
				await fake.close();
			}
		},
	};
}

function sendRequests(fake: FakeGmail) {
	return fake.state.requests.filter((request) => request.method === 'send');
}

const sends: SendCase[] = [
	{
		name: '401 then token renewal',
		items: 2,
		tokens: (fake) => {
			const tokens = fake.issueTokens();
			fake.expireAccessTokens();
			// n8n still thinks the token is good for an hour: Google's 401 is the first sign.
			return { ...tokens, n8n_expires_at: String(Date.now() + 3_600_000) };
		},
		check: (items, fake) => [
			...expectCodes(items, ['sent', 'sent']),
			...(fake.state.tokenRequests.length === 1
				? []
				: [`${fake.state.tokenRequests.length} token refreshes, expected 1`]),
		],
		note: (_items, fake) => `${fake.state.tokenRequests.length} refresh through n8n`,
	},
	{
		name: '403 rateLimitExceeded, twice',
		setup: (fake) => fake.inject('send', 'rateLimit403', { times: 2 }),
		check: (items) => expectCodes(items, ['sent']),
		note: (_items, fake) => `${sendRequests(fake).length} send requests`,
	},
	{
		name: '403 dailyLimitExceeded after 2 sends (rest not sent)',
		items: 5,
		fake: { dailyLimit: 2 },
		parameters: { options: { sendsPerMinute: 60 } },
		check: (items) => {
			const codes = items.map((item) => item.code ?? item.status);
			const problems: string[] = [];
			if (codes.filter((code) => code === 'sent').length !== 2)
				problems.push(`expected 2 sent, got ${codes.join(', ')}`);
			if (!codes.includes('EQUOTA')) problems.push('no EQUOTA item');
			if (codes.some((code) => code !== 'sent' && code !== 'EQUOTA' && code !== 'ENOTSENT'))
				problems.push(`unexpected outcomes: ${codes.join(', ')}`);
			return problems;
		},
		note: (items) =>
			`${items.filter((item) => item.code === 'ENOTSENT').length} held back (ENOTSENT)`,
	},
	{
		name: '429 with Retry-After: 1',
		setup: (fake) => fake.inject('send', 'rateLimit429', { times: 2, retryAfterSec: 1 }),
		check: (items) => expectCodes(items, ['sent']),
	},
	{
		name: '429 without Retry-After (backoff)',
		setup: (fake) => fake.inject('send', 'rateLimit429', { times: 2 }),
		check: (items) => expectCodes(items, ['sent']),
	},
	{
		name: '503 with Retry-After: 86400 (gives up, says so)',
		setup: (fake) => fake.inject('send', 'unavailable503', { retryAfterSec: 86_400 }),
		check: (items) => [
			...expectCodes(items, ['ECONNECTION']),
			...(/Google asked to wait 86400 s/.test(String(items[0]?.error))
				? []
				: ['the error does not say how long Google asked to wait']),
		],
		note: () => 'looked in Sent first, then gave up instead of sleeping a day',
	},
	{
		name: '500 before storing (read scope: absent in Sent, sent again)',
		setup: (fake) => fake.inject('send', 'backend500'),
		check: (items) => expectCodes(items, ['sent']),
		note: (_items, fake) => `${sendRequests(fake).length} send requests`,
	},
	{
		name: '500 after storing (read scope: found in Sent)',
		setup: (fake) => fake.inject('send', 'backend500', { stored: true }),
		check: (items, fake) => [
			...expectCodes(items, ['sent']),
			...(sendRequests(fake).length === 1 ? [] : ['sent twice']),
		],
		note: () => 'reported sent from Sent, not sent again',
	},
	{
		name: '500 after storing, Sent lags 3 s behind',
		fake: { searchLagMs: 3_000 },
		setup: (fake) => fake.inject('send', 'backend500', { stored: true }),
		check: (items) => expectCodes(items, ['sent']),
		note: () => 'the second look-up found it',
	},
	{
		name: '503 after storing, no read scope',
		readScope: false,
		setup: (fake) => fake.inject('send', 'unavailable503', { stored: true }),
		check: (items) => expectCodes(items, ['EUNKNOWN']),
	},
	{
		name: 'timeout after storing (Timeout 1 s, read scope)',
		parameters: { options: { sendsPerMinute: 6000, timeoutSeconds: 1 } },
		setup: (fake) => fake.inject('send', 'noAnswer', { stored: true }),
		check: (items) => expectCodes(items, ['sent']),
	},
	{
		name: 'timeout after storing, no read scope',
		readScope: false,
		parameters: { options: { sendsPerMinute: 6000, timeoutSeconds: 1 } },
		setup: (fake) => fake.inject('send', 'noAnswer', { stored: true }),
		check: (items) => expectCodes(items, ['EUNKNOWN']),
	},
	{
		name: 'Sent look-up fails after a 5xx',
		setup: (fake) => {
			fake.inject('send', 'backend500', { stored: true });
			fake.inject('list', 'backend500', { times: 10 });
		},
		check: (items) => expectCodes(items, ['EUNKNOWN']),
	},
	{
		name: 'resumable upload: last chunk 503 after storing',
		attachmentBytes: Math.round(4.5 * MiB),
		setup: (fake) => fake.failUploadChunk('unavailable503', { chunk: 'last', stored: true }),
		check: (items) => expectCodes(items, ['sent']),
		note: () => 'the session status said sent',
	},
	{
		name: 'API Base URL redirects (307) elsewhere',
		items: 2,
		setup: (fake) => fake.redirectApi({ to: fake.apiBaseUrl.replace('127.0.0.1', 'localhost') }),
		check: (items, fake) => {
			const problems: string[] = [];
			const followed = fake.state.requests.filter((request) =>
				request.host.startsWith('localhost'),
			);
			if (followed.length) problems.push(`${followed.length} request(s) followed the redirect`);
			if (
				items[0]?.code !== 'EPROTOCOL' ||
				!/redirect \(HTTP 307\) to http:\/\/localhost/.test(String(items[0]?.error))
			)
				problems.push(`first item: ${items[0]?.code} ${items[0]?.error}`);
			return problems;
		},
		note: () => 'reported with its target, not followed',
	},
];

/** 10,000 old reports and 1 new one; the real trigger polls twice; the second poll's cost is counted. */
const mailboxScenario: FaultScenario = {
	name: 'poll: 10,000 old reports + 1 new',
	area: 'gmail-mailbox',
	async run(): Promise<FaultRow> {
		const fake = await startFakeGmail();
		try {
			addReports(fake, {
				count: 10_000,
				startMs: Date.now() - 3 * 24 * 3_600_000,
				spacingMs: 10_000,
			});
			const node: INode = {
				id: 'trigger',
				name: 'Trigger',
				type: 'CUSTOM.deliveryChannelTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: { channel: 'gmail', event: 'failedDelivery', filters: {} },
				credentials: { [CREDENTIAL]: { id: '1', name: 'gmail' } },
			};
			const nodeType = new DeliveryChannelTrigger();
			const credential = gmailCredential(fake);
			const credentials = { [CREDENTIAL]: credential };
			// test/support/poll.ts keeps only the fields a credential type declares (as n8n fills defaults);
			// declared as they are here, the stored token survives as n8n keeps it.
			const credentialTypes = {
				[CREDENTIAL]: {
					name: CREDENTIAL,
					displayName: 'Gmail',
					properties: Object.keys(credential).map((name) => ({
						displayName: name,
						name,
						type: 'hidden' as const,
						default: '',
					})),
				},
			};
			const first = await pollOnce({
				node,
				nodeType,
				credentials,
				credentialTypes,
				staticData: {},
			});
			const [fresh] = addReports(fake, { count: 1, startMs: Date.now(), prefix: 'new' });
			const before = fake.state.requests.length;
			const bytesBefore = fake.state.bytesOut;
			const second = await pollOnce({
				node,
				nodeType,
				credentials,
				credentialTypes,
				staticData: first.staticData,
			});
			const requests = fake.state.requests.slice(before);
			const raw = requests.filter(
				(request) => request.method === 'get' && request.query.format === 'raw',
			).length;
			const bytes = fake.state.bytesOut - bytesBefore;
			const emitted = second.items.map((item) => String(item.json.recipient));
			const problems: string[] = [];
			if (first.items.length)
				problems.push(`the first poll emitted ${first.items.length} old failure(s)`);
			if (requests.length > 6 || raw > 1)
				problems.push(`the poll cost ${requests.length} requests and ${raw} report downloads`);
			const usedCheckpoint = JSON.stringify(second.staticData).includes('"channel":"gmail"');
			return {
				scenario: this.name,
				area: this.area,
				itemsIn: 1,
				outcomes: {
					sent: emitted.filter((recipient) => recipient === fresh).length,
					partial: 0,
					failed: 0,
					'not sent': 0,
					EUNKNOWN: 0,
				},
				serverReceived: emitted.length,
				duplicates: emitted.length - new Set(emitted).size,
				lost: emitted.includes(fresh) ? 0 : 1,
				unconfirmed: 0,
				problems: [
					...problems,
					...emitted
						.filter((recipient) => recipient !== fresh)
						.map((recipient) => `emitted an old failure: ${recipient}`),
				],
				note: `second poll: ${requests.length} requests, ${raw} report download, ${bytes} bytes${usedCheckpoint ? ', by checkpoint' : ', by Received Since'}`,
			};
		} finally {
			await fake.close();
		}
	},
};

export const scenarios: FaultScenario[] = [...sends.map(sendScenario), mailboxScenario];
