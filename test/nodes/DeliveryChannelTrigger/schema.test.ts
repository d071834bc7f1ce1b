/**
 * The trigger's output schema (nodes/DeliveryChannelTrigger/__schema__/v1.0.0.json): n8n 2.x's editor
 * asks for /schemas/<node type>/1.0.0.json to show the fields of a trigger that has not run yet. It
 * names every field of a failed delivery.
 */
import type { FailedDelivery } from '../../../core/model';

const schema = require('../../../nodes/DeliveryChannelTrigger/__schema__/v1.0.0.json') as {
	type: string;
	properties: Record<string, { type: string; properties?: Record<string, unknown> }>;
};

/** Every field of a FailedDelivery: adding one to the model breaks this until the schema has it. */
const every: Required<FailedDelivery> = {
	channel: 'smtp',
	recipient: 'nobody@example.net',
	action: 'failed',
	kind: 'failure',
	hard: true,
	reason: 'mailbox-unknown',
	status: '5.1.1',
	replyCode: '550',
	diagnostic: '550 5.1.1 no such user',
	failedAt: '2026-01-01T00:00:00.000Z',
	remoteMta: 'mx.example.net',
	reportingMta: 'mail.example.com',
	feedbackType: '',
	message: { messageId: '<a@example.com>', subject: 'Hello', to: ['nobody@example.net'] },
	link: { method: 'message-id', confidence: 'high' },
	details: { reportReceivedAt: '2026-01-01T00:00:01.000Z' },
};

describe('the trigger output schema', () => {
	it('is an object schema naming every field of a failed delivery, with their JSON types', () => {
		expect(schema.type).toBe('object');
		expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(every).sort());
		for (const [key, value] of Object.entries(every)) {
			const type = Array.isArray(value) ? 'array' : typeof value;
			expect({ key, type: schema.properties[key].type }).toEqual({ key, type });
		}
		for (const key of Object.keys(every.message))
			expect(schema.properties.message.properties).toHaveProperty(key);
	});
});
