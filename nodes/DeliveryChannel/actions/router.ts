/**
 * Owns the item loop for every operation: opens the channel once per execution, runs items (at the
 * same time when the operation and channel allow it), keeps pairedItem, turns failures into error
 * items under "Continue On Fail" or into one node error naming the item, and closes the channel.
 * Each input item leads to its output items or to exactly one error item: none is dropped.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { DeliveryError } from '../channels/errors';
import { getChannel } from '../channels/registry';
import type { Channel, ChannelSession } from '../channels/types';
import * as getFailedDeliveries from './getFailedDeliveries.operation';
import * as send from './send.operation';
import type { Operation } from './types';

export const operations: Record<string, Operation> = { send, getFailedDeliveries };

interface ItemFailure {
	itemIndex: number;
	error: Error;
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = operations[operationName];
	if (!operation) {
		throw new NodeOperationError(this.getNode(), `The operation "${operationName}" is not known`, {
			description: `Pick one of: ${Object.keys(operations).join(', ')}.`,
		});
	}
	const continueOnFail = this.continueOnFail();
	if (operation.sendsEmail && this.getNode().retryOnFail && !continueOnFail) {
		// n8n's Retry On Fail re-runs the whole node after a failure, which would send every item that
		// already went out a second time. The node retries temporary failures per item itself.
		throw new NodeOperationError(this.getNode(), 'Retry On Fail would send every email of this node again after any failure', {
			description:
				'Turn off Retry On Fail in the node settings: the node already retries temporary failures for each email. To keep the workflow going when an email fails, set On Error to Continue instead.',
		});
	}

	let channel: Channel | undefined;
	let session: ChannelSession | undefined;
	try {
		channel = getChannel(this.getNodeParameter('channel', 0));
		session = await channel.open(this);
	} catch (error) {
		// Nothing can go out without a channel: every item carries the reason, or the node stops.
		if (!continueOnFail) throw toNodeError(this, error as Error, 0, items.length > 1);
		return [items.map((_, itemIndex) => errorItem(error as Error, itemIndex, channel))];
	}

	const results: INodeExecutionData[][] = new Array(items.length);
	let halt: ItemFailure | undefined;
	let fatal: ItemFailure | undefined;
	const context = { channel, session };
	const concurrency = operation.concurrent ? Math.max(1, session.concurrency) : 1;

	try {
		await forEachBounded(items.length, concurrency, async (itemIndex) => {
			if (fatal) return;
			if (halt) {
				results[itemIndex] = [notSentItem(halt, itemIndex, context.channel)];
				return;
			}
			try {
				const output = await operation.execute.call(this, itemIndex, context);
				results[itemIndex] = output.map((entry) => ({ ...entry, pairedItem: { item: itemIndex } }));
			} catch (error) {
				const failure = { itemIndex, error: error as Error };
				if (error instanceof DeliveryError && error.stopsBatch) halt ??= failure;
				if (!continueOnFail) {
					fatal ??= failure;
					return;
				}
				results[itemIndex] = [errorItem(error as Error, itemIndex, context.channel)];
			}
		});
	} finally {
		await session.close().catch(() => undefined);
	}

	if (fatal) throw toNodeError(this, fatal.error, fatal.itemIndex, items.length > 1);
	return [results.flat()];
}

/** Runs `task` for indexes 0..count-1 with at most `limit` running at once. */
async function forEachBounded(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const index = next++;
			await task(index);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

function errorFields(error: Error): IDataObject {
	if (!(error instanceof DeliveryError)) {
		return { error: error.message, code: 'EINPUT', retryable: false, recipients: [] };
	}
	const fields: IDataObject = {
		error: error.message,
		code: error.code,
		retryable: error.retryable,
		recipients: error.recipients,
	};
	if (error.field) fields.field = error.field;
	if (error.responseCode) fields.responseCode = error.responseCode;
	if (error.response) fields.response = error.response;
	if (error.hint) fields.hint = error.hint;
	return { ...fields, ...(error.context as IDataObject) };
}

function errorItem(error: Error, itemIndex: number, channel?: Channel): INodeExecutionData {
	const status = error instanceof DeliveryError && error.code === 'ENOTSENT' ? 'not sent' : 'failed';
	return {
		json: { status, channel: channel?.key ?? null, ...errorFields(error) },
		pairedItem: { item: itemIndex },
	};
}

function notSentItem(halt: ItemFailure, itemIndex: number, channel: Channel): INodeExecutionData {
	return {
		json: {
			status: 'not sent',
			channel: channel.key,
			error: `Not attempted: item ${halt.itemIndex} stopped the batch (${halt.error.message})`,
			code: 'ENOTSENT',
			retryable: true,
			recipients: [],
		},
		pairedItem: { item: itemIndex },
	};
}

function toNodeError(context: IExecuteFunctions, error: Error, itemIndex: number, nameItem: boolean): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const hint = error instanceof DeliveryError ? error.hint : undefined;
	const message = nameItem ? `${error.message} [item ${itemIndex}]` : error.message;
	return new NodeOperationError(context.getNode(), message, { itemIndex, description: hint });
}
