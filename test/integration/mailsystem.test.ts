/**
 * Proof against a real mail system: a throwaway Postfix + Dovecot on 127.0.0.1
 * (scripts/mailsystem/start.sh). The Delivery Channel node sends through the Custom SMTP channel to
 * a local user that does not exist, to a mailbox that refuses ("mailbox full") and to one whose
 * delivery is deferred until the queue gives up; Postfix writes its own RFC 3464 reports into the
 * sender's mailbox, and then
 *  - the Failed Deliveries operation (the real node, in n8n's engine) returns those failures with
 *    the right recipients, reasons, hard/soft and links to the sent messages;
 *  - the Delivery Channel Trigger, polled as an active workflow polls it, emits each failure once,
 *    and the failure that follows a delay.
 * Needs root; installs postfix and dovecot-imapd when missing. Fails (never skips) when it cannot.
 */
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { DeliveryChannelSmtpApi } from '../../credentials/DeliveryChannelSmtpApi.credentials';
import { DeliveryChannel } from '../../nodes/DeliveryChannel/DeliveryChannel.node';
import { DeliveryChannelTrigger } from '../../nodes/DeliveryChannelTrigger/DeliveryChannelTrigger.node';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../helpers/n8n';
import { describeWithMailSystem, startMailSystem, type MailSystem } from '../support/mailsystem';
import { pollOnce } from '../support/poll';

jest.setTimeout(240_000);

const SMTP = 'deliveryChannelSmtpApi';
const NODE_TYPE = 'CUSTOM.deliveryChannel';
const TRIGGER_TYPE = 'CUSTOM.deliveryChannelTrigger';
const credentialTypes = { [SMTP]: new DeliveryChannelSmtpApi() };
const nodeTypes = {
	[NODE_TYPE]: new DeliveryChannel(),
	[TRIGGER_TYPE]: new DeliveryChannelTrigger(),
};

let mail: MailSystem;
const timings: Record<string, number> = {};

beforeAll(async () => {
	const started = Date.now();
	mail = await startMailSystem();
	timings.startMs = Date.now() - started;
}, 240_000);

afterAll(async () => {
	await mail?.stop();
	// eslint-disable-next-line no-console
	console.log(`real mail system timings: ${JSON.stringify(timings)}`);
});

function credentials(extra: IDataObject = {}) {
	return { [SMTP]: mail.smtpCredential(extra as never) };
}

function triggerNode(filters: IDataObject): INode {
	return node(
		'Failed Delivery',
		TRIGGER_TYPE,
		{ channel: 'smtp', event: 'failedDelivery', filters: filters as INodeParameters },
		{ credentials: [SMTP] },
	);
}

async function poll(staticData: IDataObject, filters: IDataObject = { includeDelays: true }) {
	const result = await pollOnce({
		node: triggerNode(filters),
		nodeType: nodeTypes[TRIGGER_TYPE],
		credentials: credentials(),
		credentialTypes,
		staticData,
	});
	return result;
}

async function failedDeliveries(
	filters: IDataObject,
	extra: { returnAll?: boolean; limit?: number; credentials?: IDataObject } = {},
) {
	const trigger = manualTrigger();
	const list = node(
		'Failed Deliveries',
		NODE_TYPE,
		{
			channel: 'smtp',
			operation: 'getFailedDeliveries',
			returnAll: extra.returnAll ?? true,
			limit: extra.limit ?? 50,
			filters: filters as INodeParameters,
		},
		{ credentials: [SMTP] },
	);
	const started = Date.now();
	const result = await runWorkflow({
		workflow: { nodes: [trigger, list], connections: chain(trigger, list) },
		nodeTypes,
		credentials: credentials(extra.credentials),
		credentialTypes,
	});
	timings.failedDeliveriesMs = Date.now() - started;
	return result;
}

const json = (items: INodeExecutionData[]) => items.map((item) => item.json as IDataObject);
const byRecipient = (items: IDataObject[], recipient: string) =>
	items.filter((item) => String(item.recipient).toLowerCase() === recipient.toLowerCase());

describeWithMailSystem(
	'Custom SMTP Failed Deliveries and the trigger against Postfix + Dovecot',
	() => {
		const unknown = `nobody-${Date.now().toString(36)}@example.test`;
		let sent: IDataObject[] = [];
		let triggerState: IDataObject = {};
		let sendFinishedAt = 0;

		it('the first poll of the trigger finds nothing in the empty mailbox and keeps its state', async () => {
			const first = await poll({});
			expect(first.raw).toBeNull();
			triggerState = first.staticData;
			// n8n keeps a trigger's state under "node:<name>" in the workflow's static data.
			expect((triggerState['node:Failed Delivery'] as IDataObject).failedDeliveries).toMatchObject({
				version: 1,
				lastPoll: expect.any(Number),
				seen: {},
			});
		});

		it('sends three messages through the SMTP channel, with DSN requested', async () => {
			const trigger = manualTrigger();
			const recipients = itemsNode('Recipients', [
				{ to: unknown },
				{ to: mail.refusing },
				{ to: mail.deferring },
			]);
			const send = node(
				'Send',
				NODE_TYPE,
				{
					channel: 'smtp',
					operation: 'send',
					identity: { __rl: true, mode: 'address', value: `Sales Team <${mail.sender.address}>` },
					to: '={{ $json.to }}',
					subject: '={{ "Offer for " + $json.to }}',
					emailFormat: 'text',
					text: 'Hello, here is our offer.',
				},
				{ credentials: [SMTP] },
			);
			const started = Date.now();
			const { output, error } = await runWorkflow({
				workflow: {
					nodes: [trigger, recipients, send],
					connections: chain(trigger, recipients, send),
				},
				nodeTypes,
				credentials: credentials(),
				credentialTypes,
			});
			sendFinishedAt = Date.now();
			timings.sendMs = sendFinishedAt - started;
			expect(error).toBeUndefined();
			sent = json(output('Send'));
			expect(sent.map((item) => item.status)).toEqual(['sent', 'sent', 'sent']);
			for (const item of sent) {
				expect(item.deliveryId).toMatch(/^dc-[0-9a-f-]{36}$/);
				expect(item.dsnRequested).toBe(true);
			}
		});

		it('Postfix returns its reports to the sender: two failures and a delay', async () => {
			const reports = await mail.waitForMessages('INBOX', 3, 30_000, (message) =>
				/mailer-daemon/i.test(message.from?.[0]?.address ?? ''),
			);
			timings.reportsVisibleMs = Date.now() - sendFinishedAt;
			expect(reports.map((report) => report.subject).sort()).toEqual([
				'Delayed Mail (still being retried)',
				'Undelivered Mail Returned to Sender',
				'Undelivered Mail Returned to Sender',
			]);
			// Postfix filed a copy of each sent message in Sent (sender_bcc_maps): the links have something to find.
			await mail.waitForMessages('Sent', 3, 10_000);
		});

		it('Failed Deliveries returns the failures with recipients, reasons, hard/soft and links', async () => {
			const { output, error } = await failedDeliveries({});
			expect(error).toBeUndefined();
			const items = json(output('Failed Deliveries'));
			expect(items.map((item) => item.recipient).sort()).toEqual([mail.refusing, unknown].sort());

			const [dead] = byRecipient(items, unknown);
			expect(dead).toMatchObject({
				channel: 'smtp',
				kind: 'failure',
				action: 'failed',
				hard: true,
				reason: 'userunknown',
				status: '5.1.1',
			});
			const [full] = byRecipient(items, mail.refusing);
			expect(full).toMatchObject({
				channel: 'smtp',
				kind: 'failure',
				action: 'failed',
				hard: false,
				reason: 'mailboxfull',
				status: '5.2.2',
			});
			expect(String(full.diagnostic)).toMatch(/mailbox full/i);

			for (const [item, recipient] of [
				[dead, unknown],
				[full, mail.refusing],
			] as const) {
				const original = sent.find((entry) => (entry.accepted as string[]).includes(recipient))!;
				const message = item.message as IDataObject;
				expect(item.link).toEqual({ method: 'envelope-id', confidence: 'high' });
				expect(message.deliveryId).toBe(original.deliveryId);
				expect(message.envelopeId).toBe(original.deliveryId);
				expect(message.messageId).toBe(original.messageId);
				// Found in the Sent folder: its facts come from the copy there.
				expect(message.sentFolder).toBe('Sent');
				expect(message.subject).toBe(`Offer for ${recipient}`);
				expect((item.details as IDataObject).reportId).toMatch(/^INBOX\/\d+$/);
			}
		});

		it('applies the same filters as the other channels', async () => {
			const withDelays = json(
				(await failedDeliveries({ includeDelays: true })).output('Failed Deliveries'),
			);
			const [delay] = byRecipient(withDelays, mail.deferring);
			expect(delay).toMatchObject({ kind: 'delay', action: 'delayed', hard: false });
			expect((delay.message as IDataObject).deliveryId).toBe(sent[2].deliveryId);

			const hard = json((await failedDeliveries({ verdict: 'hard' })).output('Failed Deliveries'));
			expect(hard.map((item) => item.recipient)).toEqual([unknown]);
			const soft = json((await failedDeliveries({ verdict: 'soft' })).output('Failed Deliveries'));
			expect(soft.map((item) => item.recipient)).toEqual([mail.refusing]);
			const one = json(
				(await failedDeliveries({ recipient: mail.refusing.toUpperCase() })).output(
					'Failed Deliveries',
				),
			);
			expect(one.map((item) => item.recipient)).toEqual([mail.refusing]);
			const future = json(
				(await failedDeliveries({ since: new Date(Date.now() + 3_600_000).toISOString() })).output(
					'Failed Deliveries',
				),
			);
			expect(future).toEqual([]);
			const limited = json(
				(await failedDeliveries({ includeDelays: true }, { returnAll: false, limit: 1 })).output(
					'Failed Deliveries',
				),
			);
			expect(limited).toHaveLength(1);
		});

		it('still links by the envelope id when the mailbox has no Sent copy to search', async () => {
			const items = json(
				(await failedDeliveries({}, { credentials: { sentFolder: 'Junk' } })).output(
					'Failed Deliveries',
				),
			);
			const [dead] = byRecipient(items, unknown);
			expect(dead.link).toEqual({ method: 'envelope-id', confidence: 'high' });
			expect((dead.message as IDataObject).deliveryId).toBe(sent[0].deliveryId);
			expect((dead.message as IDataObject).sentFolder).toBeUndefined();
		});

		it('says what to add when the credential has no mailbox settings', async () => {
			const { error } = await failedDeliveries({}, { credentials: { imapHost: '' } });
			expect(error?.message).toMatch(/needs the mailbox .* no IMAP Host/);
			expect((error as { description?: string }).description).toMatch(/fill in IMAP Host/);
		});

		it('the trigger emits each failed recipient once, then the failure that follows a delay', async () => {
			const second = await poll(triggerState);
			const emitted = json(second.items);
			expect(emitted.map((item) => `${item.recipient} ${item.kind}`).sort()).toEqual(
				[`${unknown} failure`, `${mail.refusing} failure`, `${mail.deferring} delay`].sort(),
			);
			// Same item shape as the operation.
			const [dead] = byRecipient(emitted, unknown);
			expect(dead).toMatchObject({
				channel: 'smtp',
				hard: true,
				reason: 'userunknown',
				link: { method: 'envelope-id', confidence: 'high' },
			});
			expect((dead.message as IDataObject).deliveryId).toBe(sent[0].deliveryId);
			triggerState = second.staticData;

			const third = await poll(triggerState);
			expect(third.raw).toBeNull();
			triggerState = third.staticData;

			// Postfix gives up on the deferred message after its queue lifetime and sends the failure.
			await mail.waitForMessages('INBOX', 4, (mail.queueLifetimeSeconds + 30) * 1000, (message) =>
				/mailer-daemon/i.test(message.from?.[0]?.address ?? ''),
			);
			timings.delayToFailureMs = Date.now() - sendFinishedAt;
			const fourth = await poll(triggerState);
			const late = json(fourth.items);
			expect(late).toHaveLength(1);
			expect(late[0]).toMatchObject({
				recipient: mail.deferring,
				kind: 'failure',
				action: 'failed',
				hard: false,
			});
			expect((late[0].message as IDataObject).deliveryId).toBe(sent[2].deliveryId);
			triggerState = fourth.staticData;

			const fifth = await poll(triggerState);
			expect(fifth.raw).toBeNull();
		});

		it('a manual run of the trigger shows the most recent failures and leaves the state alone', async () => {
			const staticData = JSON.parse(JSON.stringify(triggerState)) as IDataObject;
			const trigger = triggerNode({});
			const started = Date.now();
			const { output, error } = await runWorkflow({
				workflow: { nodes: [trigger], connections: {}, staticData },
				nodeTypes,
				credentials: credentials(),
				credentialTypes,
			});
			timings.manualTriggerMs = Date.now() - started;
			expect(error).toBeUndefined();
			const items = json(output('Failed Delivery'));
			expect(items.map((item) => item.recipient).sort()).toEqual(
				[mail.deferring, mail.refusing, unknown].sort(),
			);
			expect(items.every((item) => item.kind === 'failure')).toBe(true);
			expect(staticData).toEqual(triggerState);

			// A manual run before any activation does not create state either.
			const empty: IDataObject = {};
			const fresh = await runWorkflow({
				workflow: { nodes: [trigger], connections: {}, staticData: empty },
				nodeTypes,
				credentials: credentials(),
				credentialTypes,
			});
			expect(fresh.output('Failed Delivery')).toHaveLength(3);
			expect(empty).toEqual({});
		});
	},
);

describeWithMailSystem(
	'TLS against the same Postfix + Dovecot (a self-signed certificate, as on many company servers)',
	() => {
		async function credentialTest(extra: IDataObject) {
			const test = nodeTypes[NODE_TYPE].methods.credentialTest.smtpCredentialTest;
			return await test.call(
				{} as ICredentialTestFunctions,
				{
					id: 'tls',
					name: 'TLS',
					type: SMTP,
					data: mail.smtpCredential(extra as never),
				} as ICredentialsDecrypted,
			);
		}

		const starttlsBoth = () => ({
			security: 'starttls',
			imapSecurity: 'starttls',
			allowSelfSigned: true,
		});
		const implicitBoth = () => ({
			security: 'tls',
			port: mail.smtpsPort,
			imapSecurity: 'tls',
			imapPort: mail.imapsPort,
			allowSelfSigned: true,
		});

		it('the credential test passes over STARTTLS and over implicit TLS, for SMTP and the mailbox', async () => {
			for (const extra of [starttlsBoth(), implicitBoth()]) {
				const result = await credentialTest(extra);
				expect({ extra, result }).toEqual({
					extra,
					result: {
						status: 'OK',
						message: expect.stringMatching(
							/^Connection successful \(SMTP, and the mailbox: reports read from INBOX, Junk, sent messages in Sent\)$/,
						),
					},
				});
			}
		});

		it('refuses the untrusted certificate unless the credential allows self-signed ones', async () => {
			for (const extra of [
				{ ...starttlsBoth(), allowSelfSigned: false },
				{ ...implicitBoth(), allowSelfSigned: false },
			]) {
				const result = await credentialTest(extra);
				expect(result.status).toBe('Error');
				expect(result.message).toMatch(/certificate/i);
			}
			// The SMTP side passes and the mailbox alone is over TLS: the mailbox's certificate is named.
			for (const mailboxTls of [
				{ imapSecurity: 'tls', imapPort: mail.imapsPort },
				{ imapSecurity: 'starttls' },
			]) {
				const mailboxOnly = await credentialTest({
					security: 'none',
					...mailboxTls,
					allowSelfSigned: false,
				});
				expect(mailboxOnly.status).toBe('Error');
				expect(mailboxOnly.message).toMatch(/mailbox.*certificate|certificate.*mailbox/i);
			}
		});

		it('sends over STARTTLS and over implicit TLS, and the messages arrive', async () => {
			for (const [label, extra] of [
				['starttls', starttlsBoth()],
				['implicit', implicitBoth()],
			] as const) {
				const subject = `TLS check ${label} ${Date.now().toString(36)}`;
				const trigger = manualTrigger();
				const send = node(
					'Send',
					NODE_TYPE,
					{
						channel: 'smtp',
						operation: 'send',
						identity: { __rl: true, mode: 'address', value: mail.sender.address },
						to: mail.sender.address,
						subject,
						emailFormat: 'text',
						text: 'Sent over TLS.',
					},
					{ credentials: [SMTP] },
				);
				const { output, error } = await runWorkflow({
					workflow: { nodes: [trigger, send], connections: chain(trigger, send) },
					nodeTypes,
					credentials: credentials(extra),
					credentialTypes,
				});
				expect(error).toBeUndefined();
				expect(json(output('Send'))[0]).toMatchObject({
					status: 'sent',
					accepted: [mail.sender.address],
				});
				const arrived = await mail.waitForMessages(
					'INBOX',
					1,
					20_000,
					(message) => message.subject === subject,
				);
				expect(arrived).toHaveLength(1);
			}
		});

		it('Failed Deliveries reads the mailbox over implicit TLS and over STARTTLS with the same result as in plain text', async () => {
			const plain = json((await failedDeliveries({})).output('Failed Deliveries'));
			expect(plain.length).toBeGreaterThanOrEqual(2);
			const summary = (items: IDataObject[]) =>
				items
					.map((item) => [
						item.recipient,
						item.reason,
						item.hard,
						(item.link as IDataObject).method,
					])
					.sort();
			for (const extra of [implicitBoth(), starttlsBoth()]) {
				const { output, error } = await failedDeliveries({}, { credentials: extra });
				expect(error).toBeUndefined();
				expect(summary(json(output('Failed Deliveries')))).toEqual(summary(plain));
			}
		});
	},
);
