/**
 * n8n's editor shows a node error's description as HTML: the router escapes it, so an example such
 * as `Jane Doe <jane@example.com>` in a hint shows as written instead of losing its address.
 */
import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { asHtmlText } from '../../../../nodes/DeliveryChannel/actions/router';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';

const TYPE = 'CUSTOM.deliveryChannel';

test('asHtmlText escapes &, < and >', () => {
	expect(asHtmlText('A & B <a@b.c> x>y')).toBe('A &amp; B &lt;a@b.c&gt; x&gt;y');
});

test('a bad address stops the node; its hint keeps "Jane Doe <jane@example.com>" once rendered', async () => {
	const trigger = manualTrigger();
	const source = itemsNode('Leads', [{ email: 'not an address' }]);
	const send = node(
		'Send',
		TYPE,
		{
			channel: 'smtp',
			operation: 'send',
			identity: { __rl: true, mode: 'address', value: 'Jane Doe <jane@example.com>' },
			to: '={{ $json.email }}',
			subject: 'Hello',
			emailFormat: 'text',
			text: 'Hi',
		},
		{ credentials: ['deliveryChannelSmtpApi'] },
	);
	const nodes = [trigger, source, send];
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelSmtpApi: {
				host: '127.0.0.1',
				port: 1,
				security: 'none',
				user: '',
				password: '',
			},
		},
	});
	const description = String(result.error?.description);
	expect(description).toContain('Jane Doe &lt;jane@example.com&gt;');
	expect(description).not.toMatch(/[<>]/);
});

test('"Custom API Call", which n8n adds under Operation, stops with what to use instead', async () => {
	const nodes = [
		manualTrigger(),
		itemsNode('Leads', [{ email: 'lead@example.org' }]),
		node(
			'Send',
			TYPE,
			{ channel: 'smtp', operation: '__CUSTOM_API_CALL__' },
			{ credentials: ['deliveryChannelSmtpApi'] },
		),
	];
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelSmtpApi: {
				host: '127.0.0.1',
				port: 1,
				security: 'none',
				user: '',
				password: '',
			},
		},
	});
	expect(result.error?.message).toBe('Custom API Call is not an operation of Delivery Channel');
	expect(String(result.error?.description)).toMatch(
		/HTTP Request node.*Send via Delivery Channel or Failed Deliveries/,
	);
});
