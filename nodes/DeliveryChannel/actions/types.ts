import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { Channel, ChannelOptions, ChannelSession, OpenOptions } from '../channels/types';

export interface OperationContext {
	channel: Channel;
	session: ChannelSession;
	/** The channel's own options for this item (its `readOptions`), handed on to the session. */
	options?: ChannelOptions;
	/** What sends share beyond this execution (for operations that send). */
	shared?: OpenOptions['shared'];
	/** n8n's cancel signal for the execution. */
	signal?: AbortSignal;
}

export interface Operation {
	/** The operation's fields; display rules are attached once, in the node description. */
	description: INodeProperties[];
	/** Whether items may run at the same time, up to what the channel allows. */
	concurrent: boolean;
	/** Whether running the operation twice has effects twice (an email goes out again). */
	sendsEmail?: boolean;
	/**
	 * Reads and checks one item's input without any I/O to the channel. The router runs it for every
	 * item before the first `execute`, so an input error stops the batch before anything is sent.
	 */
	prepare?(this: IExecuteFunctions, itemIndex: number): Promise<unknown>;
	/** Runs one item; `prepared` is what `prepare` returned for it. */
	execute(
		this: IExecuteFunctions,
		itemIndex: number,
		context: OperationContext,
		prepared?: unknown,
	): Promise<INodeExecutionData[]>;
}
