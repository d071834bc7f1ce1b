/**
 * Owns the item loop for every operation: checks every item's input before the first send, opens
 * the channel once per execution, runs items (at the same time when the operation and channel
 * allow it), keeps pairedItem, stops on n8n's cancel signal, turns failures into error items under
 * On Error = Continue (in the shape n8n routes to the error output when that output is chosen) or
 * into one node error that names the item and every item already sent, and closes the channel.
 * Each input item leads to its output items or to exactly one error item: none is dropped.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { DeliveryError } from '../../../core/errors';
import { mapBounded } from '../../../core/retry';
import { getChannel } from '../channels/registry';
import { sharedCoordinator, sendingAccount } from '../../shared/coordination';
import type { Channel, ChannelOptions, ChannelSession, OpenOptions } from '../channels/types';
import * as getFailedDeliveries from './getFailedDeliveries.operation';
import * as send from './send.operation';
import { suppressionOperations as suppressions } from './suppressions.operation';
import type { Operation } from './types';

export const operations: Record<string, Operation> = { send, getFailedDeliveries, ...suppressions };

interface ItemFailure {
	itemIndex: number;
	error: Error;
}

/** How failed items leave the node, from n8n's On Error setting. */
type ErrorMode = 'stop' | 'regular' | 'errorOutput';

/** How many items a node error lists by name before it summarises the rest. */
const LISTED_ITEMS = 20;

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = operations[operationName];
	if (!operation) {
		// n8n offers "Custom API Call" on every node whose credentials can sign HTTP requests.
		const custom = operationName === '__CUSTOM_API_CALL__';
		throw new NodeOperationError(
			this.getNode(),
			custom
				? 'Custom API Call is not an operation of Delivery Channel'
				: `The operation "${operationName}" is not known`,
			{
				description:
					(custom
						? 'For a call of your own, use the HTTP Request node with this credential. '
						: '') + 'Pick Send via Delivery Channel or Failed Deliveries under Operation.',
			},
		);
	}
	const mode = errorMode(this);
	if (operation.sendsEmail && this.getNode().retryOnFail && mode === 'stop') {
		// n8n's Retry On Fail re-runs the whole node after a failure, which would send every item that
		// already went out a second time. The node retries temporary failures per item itself.
		throw new NodeOperationError(
			this.getNode(),
			'Retry On Fail would send every email of this node again after any failure',
			{
				description:
					'Turn off Retry On Fail in the node settings: the node already retries temporary failures for each email. ' +
					'To keep the workflow going when an email fails, set On Error to Continue instead.',
			},
		);
	}
	const signal = this.getExecutionCancelSignal?.();
	const results: INodeExecutionData[][] = new Array(items.length);

	let channel: Channel | undefined;
	try {
		channel = getChannel(this.getNodeParameter('channel', 0));
	} catch (error) {
		if (mode === 'stop') throw toNodeError(this, error as Error, 0, items.length > 1);
		return [items.map((_, itemIndex) => errorItem(error as Error, itemIndex, mode))];
	}

	// Every item's input (and the channel's own options) is read and checked before anything is sent:
	// under On Error = Stop, one bad lead stops the batch while nothing has gone out, so fixing the
	// data and running again is safe.
	const prepared: unknown[] = new Array(items.length);
	const channelOptions: Array<ChannelOptions | undefined> = new Array(items.length);
	if (operation.prepare || channel.readOptions) {
		const inputErrors: ItemFailure[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				channelOptions[itemIndex] = channel.readOptions?.(this, itemIndex);
				prepared[itemIndex] = await operation.prepare?.call(this, itemIndex);
			} catch (error) {
				if (mode === 'stop') inputErrors.push({ itemIndex, error: error as Error });
				else results[itemIndex] = [errorItem(error as Error, itemIndex, mode, channel)];
			}
		}
		if (inputErrors.length) throw inputErrorsToNodeError(this, inputErrors, items.length);
	}

	let session: ChannelSession;
	let shared: OpenOptions['shared'];
	try {
		// Sends share limits and idempotency keys with every execution and worker using the account.
		if (operation.sendsEmail)
			shared = { coordinator: sharedCoordinator(), account: sendingAccount(this, channel) };
		// What holds for the whole session (a pace, a timeout) comes from the first item that has it.
		session = await channel.open(this, { signal, options: channelOptions.find(Boolean), shared });
	} catch (error) {
		// Nothing can go out without a channel: every item carries the reason, or the node stops.
		if (mode === 'stop') throw toNodeError(this, error as Error, 0, items.length > 1);
		return [
			items.map(
				(_, itemIndex) =>
					results[itemIndex]?.[0] ?? errorItem(error as Error, itemIndex, mode, channel),
			),
		];
	}

	let halt: ItemFailure | undefined;
	let fatal: ItemFailure | undefined;
	/** Under On Error = Stop: every failure, also of items that were in flight when the first came. */
	const stopFailures: ItemFailure[] = [];
	const concurrency = operation.concurrent ? Math.max(1, session.concurrency) : 1;

	try {
		await mapBounded(items, concurrency, async (_, itemIndex) => {
			if (results[itemIndex]) return; // its input was refused above
			if (fatal) return;
			if (signal?.aborted) {
				results[itemIndex] = [errorItem(cancelled(), itemIndex, mode, channel)];
				return;
			}
			if (halt) {
				results[itemIndex] = [errorItem(notSent(halt), itemIndex, mode, channel)];
				return;
			}
			try {
				const context = { channel, session, options: channelOptions[itemIndex], shared, signal };
				const output = await operation.execute.call(this, itemIndex, context, prepared[itemIndex]);
				results[itemIndex] = output.map((entry) => ({ ...entry, pairedItem: { item: itemIndex } }));
			} catch (error) {
				const failure = { itemIndex, error: error as Error };
				if (error instanceof DeliveryError && error.stopsBatch) halt ??= failure;
				if (mode === 'stop') {
					fatal ??= failure;
					stopFailures.push(failure);
					return;
				}
				results[itemIndex] = [errorItem(error as Error, itemIndex, mode, channel)];
			}
		});
	} finally {
		await session.close().catch(() => undefined);
	}

	if (fatal) throw sendingStoppedError(this, fatal, stopFailures, results, items.length);
	return [results.flat()];
}

function errorMode(context: IExecuteFunctions): ErrorMode {
	if (!context.continueOnFail()) return 'stop';
	return context.getNode().onError === 'continueErrorOutput' ? 'errorOutput' : 'regular';
}

function cancelled(): DeliveryError {
	return new DeliveryError('Not sent: the execution was cancelled before this item was sent', {
		code: 'ENOTSENT',
		retryable: true,
	});
}

function notSent(halt: ItemFailure): DeliveryError {
	return new DeliveryError(
		`Not attempted: item ${halt.itemIndex} stopped the batch (${halt.error.message})`,
		{
			code: 'ENOTSENT',
			retryable: true,
			hint: halt.error instanceof DeliveryError ? halt.error.hint : undefined,
		},
	);
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

/**
 * A failed or not-sent item. For the error output, n8n moves an item there only when its json holds
 * nothing but `error`, `message` and `details` (and then merges the lead's own fields back in from
 * the paired input item); `item.error` would cut the json down to the message. So there everything
 * else the item says goes under `details`.
 */
function errorItem(
	error: Error,
	itemIndex: number,
	mode: ErrorMode,
	channel?: Channel,
): INodeExecutionData {
	// Held back, or refused by a daily cap before it went out: not sent, rather than failed.
	const status =
		error instanceof DeliveryError && (error.code === 'ENOTSENT' || error.code === 'EQUOTA')
			? 'not sent'
			: 'failed';
	const { error: message, ...rest } = errorFields(error);
	const fields: IDataObject = { status, channel: channel?.key ?? null, ...rest };
	const json: IDataObject =
		mode === 'errorOutput'
			? { error: message, details: fields }
			: { status, channel: channel?.key ?? null, error: message, ...rest };
	return { json, pairedItem: { item: itemIndex } };
}

/** A Message-ID without its angle brackets: n8n shows error descriptions as HTML, where <...> vanishes. */
function plainId(value: unknown): string {
	return String(value ?? '').replace(/^<|>$/g, '');
}

function describeError(error: Error): string {
	return error instanceof DeliveryError && error.field
		? `${error.message} (field ${error.field})`
		: error.message;
}

function listed<T>(entries: T[], show: (entry: T) => string): string {
	const shown = entries.slice(0, LISTED_ITEMS).map(show);
	if (entries.length > LISTED_ITEMS) shown.push(`and ${entries.length - LISTED_ITEMS} more`);
	return shown.join('; ');
}

function inputErrorsToNodeError(
	context: IExecuteFunctions,
	failures: ItemFailure[],
	itemCount: number,
): NodeOperationError {
	const [first] = failures;
	const message =
		itemCount > 1 ? `${first.error.message} [item ${first.itemIndex}]` : first.error.message;
	const hint = first.error instanceof DeliveryError ? first.error.hint : undefined;
	const lines = [
		hint,
		`Nothing was sent: the input of every item is checked before the first email goes out.`,
		failures.length > 1
			? `Items with bad input (${failures.length}): ` +
				`${listed(failures, (failure) => `item ${failure.itemIndex}: ${describeError(failure.error)}`)}.`
			: undefined,
	].filter(Boolean);
	return new NodeOperationError(context.getNode(), message, {
		itemIndex: first.itemIndex,
		description: asHtmlText(lines.join('\n\n')),
	});
}

function outcome(entry: INodeExecutionData[] | undefined): { status?: string; messageId?: string } {
	const json = entry?.[0]?.json ?? {};
	return {
		status: typeof json.status === 'string' ? json.status : undefined,
		messageId: typeof json.messageId === 'string' ? json.messageId : undefined,
	};
}

/**
 * The node stops on a failure while sending. Other items may already have gone out, so the error
 * names them (index and Message-ID): running the node again as it is would send those twice.
 */
function sendingStoppedError(
	context: IExecuteFunctions,
	fatal: ItemFailure,
	failures: ItemFailure[],
	results: INodeExecutionData[][],
	itemCount: number,
): NodeOperationError {
	const error = fatal.error;
	if (error instanceof NodeOperationError) return error;
	const sent: Array<{ itemIndex: number; messageId?: string }> = [];
	results.forEach((entry, itemIndex) => {
		const { status, messageId } = outcome(entry);
		if (status === 'sent' || status === 'partial') sent.push({ itemIndex, messageId });
	});
	const unknown = failures.filter(
		(failure) => failure.error instanceof DeliveryError && failure.error.code === 'EUNKNOWN',
	);
	const lines = [error instanceof DeliveryError ? error.hint : undefined];
	if (unknown.length) {
		lines.push(
			`May have been delivered (the server's answer never came; check before sending again): ${listed(
				unknown,
				(failure) => {
					const id = plainId((failure.error as DeliveryError).context.messageId);
					return `item ${failure.itemIndex}${id ? ` (Message-ID ${id})` : ''}`;
				},
			)}.`,
		);
	}
	if (sent.length) {
		const sentItem = (entry: (typeof sent)[number]) =>
			`item ${entry.itemIndex}${entry.messageId ? ` (Message-ID ${plainId(entry.messageId)})` : ''}`;
		lines.push(`Already sent, do not send again: ${listed(sent, sentItem)}.`);
		lines.push(
			'Before running again, remove the items already sent (or set On Error to Continue and route by status).',
		);
	} else if (itemCount > 1) {
		lines.push('No other item was sent.');
	}
	const message = itemCount > 1 ? `${error.message} [item ${fatal.itemIndex}]` : error.message;
	return new NodeOperationError(context.getNode(), message, {
		itemIndex: fatal.itemIndex,
		description: asHtmlText(lines.filter(Boolean).join('\n\n')),
	});
}

/**
 * n8n's editor shows a node error's description as HTML: `Jane Doe <jane@example.com>` would lose
 * its address. Escaped, it shows as written.
 */
export function asHtmlText(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function toNodeError(
	context: IExecuteFunctions,
	error: Error,
	itemIndex: number,
	nameItem: boolean,
): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const hint = error instanceof DeliveryError ? error.hint : undefined;
	const message = nameItem ? `${error.message} [item ${itemIndex}]` : error.message;
	return new NodeOperationError(context.getNode(), message, {
		itemIndex,
		description: hint === undefined ? undefined : asHtmlText(hint),
	});
}
