import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { Channel, ChannelSession } from '../channels/types';

export interface OperationContext {
	channel: Channel;
	session: ChannelSession;
}

export interface Operation {
	/** The operation's fields; display rules are attached once, in the node description. */
	description: INodeProperties[];
	/** Whether items may run at the same time, up to what the channel allows. */
	concurrent: boolean;
	/** Whether running the operation twice has effects twice (an email goes out again). */
	sendsEmail?: boolean;
	execute(this: IExecuteFunctions, itemIndex: number, context: OperationContext): Promise<INodeExecutionData[]>;
}
