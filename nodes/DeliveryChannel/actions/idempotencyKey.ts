/**
 * The Send option *Idempotency Key*: its field, and reading it for an item into the key and the
 * delivery id it always gives (so a repeat carries the same Message-ID).
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { deliveryIdForKey, keyProblem, KEY_RETENTION_DAYS } from '../../../core/coordination';
import { inputError } from '../../../core/errors';
import { show } from '../../../core/message/show';
import { newDeliveryId } from '../../../core/message/ids';
import { getChannel } from '../channels/registry';
import { sendingAccount } from '../../shared/coordination';

export const idempotencyKeyOption: INodeProperties = {
	displayName: 'Idempotency Key',
	name: 'idempotencyKey',
	type: 'string',
	default: '',
	placeholder: 'e.g. {{ $json.leadId }}-intro',
	description:
		`A key that says which email this is, such as the lead's ID and the step. The same key never sends a second email ` +
		`with this credential for ${KEY_RETENTION_DAYS} days, whichever execution, worker or re-run sends it: the item comes out ` +
		'with status "duplicate" and the first email\'s Message-ID. 1 to 255 visible ASCII characters.',
};

/** The item's key (undefined without one) and the delivery id its message gets. */
export function readIdempotencyKey(
	context: IExecuteFunctions,
	value: unknown,
): { idempotencyKey?: string; deliveryId: string } {
	if (value === undefined || value === null || value === '') return { deliveryId: newDeliveryId() };
	if (typeof value !== 'string' && typeof value !== 'number')
		throw inputError('options.idempotencyKey', `Idempotency Key must be text, got ${show(value)}`);
	const key = String(value).trim();
	const problem = keyProblem(key);
	if (problem)
		throw inputError(
			'options.idempotencyKey',
			`Idempotency Key ${show(value)} cannot be used: ${problem}`,
			'Build it from IDs, e.g. {{ $json.leadId }}-intro.',
		);
	const channel = getChannel(context.getNodeParameter('channel', 0));
	return {
		idempotencyKey: key,
		deliveryId: deliveryIdForKey(sendingAccount(context, channel), key),
	};
}
