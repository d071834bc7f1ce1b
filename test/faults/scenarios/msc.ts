/**
 * MSC fault scenarios: the real Delivery Channel node in n8n-core (On Error: Continue) sends a batch
 * through the MSC sandbox (test/sandbox/helpers startTestSandbox), usually with a local HTTP server in
 * front of it injecting one fault (test/sandbox/fault-proxy). What was actually relayed is counted on
 * the sandbox's upstream SMTP server by Message-ID. Each scenario states the outcomes it expects, so a
 * change of behaviour shows up as a problem on its row; the API key must appear in no item.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { DeliveryChannelMscApi } from '../../../credentials/DeliveryChannelMscApi.credentials';
import type { TestSmtpOptions } from '../../helpers/smtp-server';
import {
	startFaultProxy,
	startRecorder,
	type Fault,
	type FaultProxy,
	type SeenRequest,
} from '../../sandbox/fault-proxy';
import {
	startTestSandbox,
	VERIFIED,
	type TestSandbox,
	type TestSandboxExtras,
} from '../../sandbox/helpers';
import { runSend } from '../run-node';
import { outcomeOf, sendRow, type FaultRow, type FaultScenario } from '../types';

const AREA = 'msc';
const CREDENTIAL = 'deliveryChannelMscApi';

const leads = (count: number) =>
	Array.from({ length: count }, (_, index) => ({
		email: `lead${index}@example.org`,
		name: `Lead ${index}`,
	}));

async function sendBatch(
	credentials: ICredentialDataDecryptedObject,
	count: number,
	cancelSignal?: AbortSignal,
): Promise<INodeExecutionData[]> {
	const { items } = await runSend({
		parameters: {
			channel: 'msc',
			identity: { __rl: true, mode: 'address', value: VERIFIED },
			to: '={{ $json.email }}',
			subject: '={{ "Offer for " + $json.name }}',
			emailFormat: 'text',
			text: 'Hello, here is our offer.',
		},
		leads: leads(count),
		credentialType: CREDENTIAL,
		credentials,
		credentialClass: new DeliveryChannelMscApi(),
		cancelSignal,
	});
	return items;
}

/** Each item's outcome: 'sent' (with attempts when more than one), or its error code. */
function outcomesOf(items: INodeExecutionData[]): string[] {
	return items
		.map((item) => {
			const outcome = outcomeOf(item);
			return outcome === 'sent' || outcome === 'partial'
				? outcome
				: String((item.json as IDataObject).code ?? outcome);
		})
		.sort();
}

function summary(items: INodeExecutionData[]): string {
	const counts = new Map<string, number>();
	for (const item of items) {
		const json = item.json as IDataObject;
		const outcome = outcomesOf([item])[0];
		const label = outcome === 'sent' && json.idempotentReplay ? 'sent (stored result)' : outcome;
		counts.set(label, (counts.get(label) ?? 0) + 1);
	}
	return [...counts].map(([label, count]) => `${count}× ${label}`).join(', ');
}

interface World {
	env: TestSandbox;
	/** The address the credential points at: the fault proxy, or the sandbox itself. */
	baseUrl: string;
	front?: FaultProxy;
	recorder?: FaultProxy;
}

interface MscCase {
	name: string;
	items?: number;
	upstream?: TestSmtpOptions;
	extras?: TestSandboxExtras;
	/** The fault, decided per request the proxy sees; without it the node talks to the sandbox directly. */
	fault?: (
		request: SeenRequest,
		world: { recorderUrl: string; seen: SeenRequest[]; cancel: () => void },
	) => Fault | undefined;
	/** Whether a recording "other origin" is needed (redirect scenarios). */
	recorder?: boolean;
	credentials?: (world: World) => ICredentialDataDecryptedObject;
	/** Outcomes expected, in any order ('sent' or an error code). */
	expect: string[] | ((outcomes: string[]) => string | undefined);
	/** Messages the sandbox must have relayed. */
	relayed: number | ((world: World) => number);
	check?: (world: World) => string | undefined;
	note?: string;
}

function scenario(entry: MscCase): FaultScenario {
	return {
		name: entry.name,
		area: AREA,
		async run(): Promise<FaultRow> {
			const env = await startTestSandbox({}, entry.upstream ?? {}, entry.extras ?? {});
			const recorder = entry.recorder ? await startRecorder() : undefined;
			const fault = entry.fault;
			const cancel = new AbortController();
			const seen: SeenRequest[] = [];
			const front = fault
				? await startFaultProxy(env.sandbox.apiUrl, (request) => {
						seen.push(request);
						return fault(request, {
							recorderUrl: recorder?.url ?? '',
							seen,
							cancel: () => cancel.abort(),
						});
					})
				: undefined;
			const world: World = { env, baseUrl: front?.url ?? env.sandbox.apiUrl, front, recorder };
			try {
				const count = entry.items ?? 4;
				const items = await sendBatch(
					{ baseUrl: world.baseUrl, apiKey: env.apiKey, ...entry.credentials?.(world) },
					count,
					cancel.signal,
				);
				// Whatever was still on its way would arrive now.
				if (cancel.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 300));
				const relayed = env.upstream.received.map((message) => message.headers['message-id'] ?? '');
				const problems: string[] = [];
				const got = outcomesOf(items);
				if (typeof entry.expect === 'function') {
					const problem = entry.expect(got);
					if (problem) problems.push(problem);
				} else if (JSON.stringify(got) !== JSON.stringify([...entry.expect].sort())) {
					problems.push(`expected ${entry.expect.join(', ')}, got ${got.join(', ')}`);
				}
				const expectedRelayed =
					typeof entry.relayed === 'function' ? entry.relayed(world) : entry.relayed;
				if (relayed.length !== expectedRelayed)
					problems.push(
						`the sandbox relayed ${relayed.length} messages, expected ${expectedRelayed}`,
					);
				if (JSON.stringify(items).includes(env.apiKey))
					problems.push('the API key appears in an output item');
				const extra = entry.check?.(world);
				if (extra) problems.push(extra);
				return sendRow({
					scenario: entry.name,
					area: AREA,
					itemsIn: count,
					items,
					serverMessageIds: relayed,
					problems,
					note: entry.note ?? summary(items),
				});
			} finally {
				await front?.close();
				await recorder?.close();
				await env.close();
			}
		},
	};
}

const posts = (request: SeenRequest) =>
	request.method === 'POST' && request.path.startsWith('/v1/messages');
const firstPost = (request: SeenRequest) => posts(request) && request.count === 1;
const problem = (
	status: number,
	code: string,
	headers: Record<string, string> = {},
	extra: IDataObject = {},
): Fault => ({
	answer: {
		status,
		headers,
		body: { type: `https://msc.example/problems/${code}`, title: code, status, code, ...extra },
	},
});
const all = (count: number, outcome: string) => Array.from({ length: count }, () => outcome);

/** With concurrency 5, a batch that stops: the 5 in flight fail with `code`, the rest are not sent. */
function stoppedBatch(code: string, count: number): (outcomes: string[]) => string | undefined {
	return (outcomes) => {
		const failed = outcomes.filter((outcome) => outcome === code).length;
		const held = outcomes.filter((outcome) => outcome === 'ENOTSENT').length;
		if (failed < 1 || failed + held !== count)
			return `expected ${code} then ENOTSENT for the rest, got ${outcomes.join(', ')}`;
		return undefined;
	};
}

export const scenarios: FaultScenario[] = [
	scenario({
		name: '500 before accepting (first try of each)',
		fault: (request) =>
			firstPost(request)
				? { answer: { status: 500, body: '<html>Internal Server Error</html>' } }
				: undefined,
		expect: all(4, 'sent'),
		relayed: 4,
	}),
	scenario({
		name: '503 before accepting, Retry-After 1',
		fault: (request) =>
			firstPost(request)
				? problem(503, 'upstream-unavailable', { 'Retry-After': '1' }, { retryable: true })
				: undefined,
		expect: all(4, 'sent'),
		relayed: 4,
	}),
	scenario({
		name: '503 after accepting: the retry gets the stored result',
		fault: (request) =>
			firstPost(request)
				? {
						forwardThenAnswer: {
							status: 503,
							headers: { 'Retry-After': '1' },
							body: '<html>Service Unavailable</html>',
						},
					}
				: undefined,
		expect: all(4, 'sent'),
		relayed: 4,
	}),
	scenario({
		name: '500 after accepting, on every try',
		items: 3,
		fault: (request) =>
			posts(request)
				? {
						forwardThenAnswer: {
							status: 500,
							headers: { 'Retry-After': '0' },
							body: '<html>Internal Server Error</html>',
						},
					}
				: undefined,
		expect: all(3, 'EUNKNOWN'),
		relayed: 3,
	}),
	scenario({
		name: '429 with Retry-After 1',
		fault: (request) =>
			firstPost(request)
				? problem(429, 'rate-limited', { 'Retry-After': '1' }, { retryable: true })
				: undefined,
		expect: all(4, 'sent'),
		relayed: 4,
	}),
	scenario({
		name: '429 with Retry-After 86400 (capped at 60 s: fails at once)',
		items: 8,
		fault: (request) =>
			posts(request)
				? problem(429, 'rate-limited', { 'Retry-After': '86400' }, { retryable: true })
				: undefined,
		expect: stoppedBatch('ERATELIMIT', 8),
		relayed: 0,
	}),
	scenario({
		name: '409 in progress, then the stored result',
		items: 3,
		// A slow receiving server keeps the sandbox busy; the first answer of each send is cut early.
		extras: { upstreamLatencyMs: 250 },
		fault: (request) => (firstPost(request) ? { forwardAndCutAfterMs: 100 } : undefined),
		expect: all(3, 'sent'),
		relayed: 3,
		check: ({ front }) =>
			front!.seen.some((request) => request.upstreamStatus === 409)
				? undefined
				: 'the sandbox never answered 409 in progress',
	}),
	scenario({
		name: '409 in progress until the deadline',
		items: 3,
		fault: (request) => {
			if (!posts(request)) return undefined;
			if (request.count === 1) return { forwardThenDrop: true };
			return problem(
				409,
				'request-in-progress',
				{ 'Retry-After': '1' },
				{ retryable: true, finishesWithin: 2 },
			);
		},
		expect: all(3, 'EUNKNOWN'),
		relayed: 3,
	}),
	scenario({
		name: 'timeout after accepting (Timeout 1 s, answer after 2 s)',
		items: 3,
		fault: (request) => (firstPost(request) ? { forwardThenHoldMs: 2_000 } : undefined),
		credentials: () => ({ timeout: 1 }),
		expect: all(3, 'sent'),
		relayed: 3,
	}),
	scenario({
		name: 'connection reset after accepting',
		fault: (request) => (firstPost(request) ? { forwardThenDrop: true } : undefined),
		expect: all(4, 'sent'),
		relayed: 4,
	}),
	scenario({
		name: 'redirect (307) to another origin',
		items: 8,
		recorder: true,
		fault: (request, { recorderUrl }) => ({
			answer: { status: 307, headers: { Location: `${recorderUrl}${request.path}` } },
		}),
		expect: stoppedBatch('EPROTOCOL', 8),
		relayed: 0,
		check: ({ recorder }) =>
			recorder!.seen.length
				? `the other origin received ${recorder!.seen.length} request(s)`
				: undefined,
		note: 'the other origin received nothing',
	}),
	scenario({
		name: 'connection refused',
		items: 8,
		credentials: () => ({ baseUrl: 'http://127.0.0.1:9' }),
		expect: stoppedBatch('ECONNECTION', 8),
		relayed: 0,
	}),
	scenario({
		name: 'API key rejected (401)',
		items: 8,
		credentials: () => ({ apiKey: 'msc_sk_not_a_valid_key' }),
		expect: stoppedBatch('EAUTH', 8),
		relayed: 0,
	}),
	scenario({
		name: 'cancel mid-batch (answers held 3 s)',
		items: 12,
		fault: (request, { seen, cancel }) => {
			if (!posts(request)) return undefined;
			if (new Set(seen.filter(posts).map((entry) => entry.key)).size === 3) setTimeout(cancel, 50);
			return { forwardThenHoldMs: 3_000 };
		},
		expect: (outcomes) => {
			const unknown = outcomes.filter((outcome) => outcome === 'EUNKNOWN').length;
			if (
				unknown < 1 ||
				outcomes.some((outcome) => outcome !== 'EUNKNOWN' && outcome !== 'ENOTSENT')
			)
				return `expected EUNKNOWN in flight and ENOTSENT for the rest, got ${outcomes.join(', ')}`;
			return undefined;
		},
		// Every send that reached MSC before the cancel, once; nothing after it.
		relayed: ({ front }) => new Set(front!.seen.filter(posts).map((request) => request.key)).size,
		check: ({ front }) =>
			front!.seen.filter(posts).length !==
			new Set(front!.seen.filter(posts).map((request) => request.key)).size
				? 'a send was asked again after the cancel'
				: undefined,
	}),
	scenario({
		name: 'upstream broke after the data (502 result unknown)',
		items: 3,
		upstream: { afterData: (count) => (count === 2 ? 'drop' : undefined) },
		expect: ['sent', 'sent', 'EUNKNOWN'],
		relayed: 3,
	}),
];
