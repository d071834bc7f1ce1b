/**
 * The operations on the suppression list (core/coordination/suppressions.ts): List Suppressions,
 * Add Suppression and Remove Suppression. The list is the one Send checks under Skip Suppressed
 * Recipients, shared by every workflow and credential of the n8n instance.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { Suppression, SuppressionReason } from '../../../core/coordination';
import { parseAddressList } from '../../../core/message/addresses';
import { sendingAccount } from '../../shared/coordination';
import { sharedSuppressions } from '../../shared/suppressions';
import { RETURN_ALL_AND_LIMIT } from './parameters';
import type { Operation, OperationContext } from './types';

const emailField = (description: string): INodeProperties => ({
	displayName: 'Email',
	name: 'email',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'name@email.com',
	description,
});

function address(context: IExecuteFunctions, itemIndex: number): string {
	const value = context.getNodeParameter('email', itemIndex, '');
	return parseAddressList('email', 'Email', value, { required: true, single: true })[0].address;
}

const list: Operation = {
	concurrent: false,
	description: RETURN_ALL_AND_LIMIT,
	async execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
		const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
		const limit = returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number);
		const entries = await sharedSuppressions().list(limit);
		return entries.map((entry) => ({ json: entry as unknown as IDataObject }));
	},
};

const add: Operation = {
	concurrent: false,
	description: [
		emailField('The address never to send to'),
		{
			displayName: 'Reason',
			name: 'reason',
			type: 'options',
			options: [
				{ name: 'Complaint', value: 'complaint', description: 'The recipient reported spam' },
				{ name: 'Hard Bounce', value: 'hard-bounce', description: 'The mailbox does not exist' },
				{ name: 'Manual', value: 'manual', description: 'Any other reason' },
				{ name: 'Unsubscribe', value: 'unsubscribe', description: 'The recipient opted out' },
			],
			default: 'manual',
		},
		{
			displayName: 'Note',
			name: 'note',
			type: 'string',
			default: '',
			placeholder: 'e.g. Asked by phone on 2026-11-30',
			description: 'Kept with the suppression as its detail',
		},
	],
	async execute(
		this: IExecuteFunctions,
		itemIndex: number,
		{ channel }: OperationContext,
	): Promise<INodeExecutionData[]> {
		const entry: Suppression = {
			address: address(this, itemIndex),
			reason: this.getNodeParameter('reason', itemIndex, 'manual') as SuppressionReason,
			source: `Add Suppression (${sendingAccount(this, channel)})`,
			recordedAt: new Date().toISOString(),
		};
		const note = String(this.getNodeParameter('note', itemIndex, '') ?? '').trim();
		if (note) entry.detail = note;
		const store = sharedSuppressions();
		const added = (await store.record([entry])) > 0;
		const [stored] = await store.find([entry.address]);
		return [{ json: { ...(stored ?? entry), added } as unknown as IDataObject }];
	},
};

const remove: Operation = {
	concurrent: false,
	description: [emailField('The address to send to again')],
	async execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
		const email = address(this, itemIndex);
		const was = await sharedSuppressions().remove(email);
		const json: IDataObject = { address: was?.address ?? email, removed: Boolean(was) };
		if (was) json.suppression = was as unknown as IDataObject;
		return [{ json }];
	},
};

export const suppressionOperations: Record<string, Operation> = {
	listSuppressions: list,
	addSuppression: add,
	removeSuppression: remove,
};
