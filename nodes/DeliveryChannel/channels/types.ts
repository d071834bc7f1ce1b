/**
 * The one contract every delivery channel implements. Operations and the router only ever talk to
 * these types; everything channel-specific lives in `channels/<key>/`.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	IPollFunctions,
	INodeCredentialTestResult,
	INodeListSearchItems,
	INodeProperties,
} from 'n8n-workflow';

import type {
	ChannelKey,
	FailedDeliveryList,
	FailedDeliveryQuery,
	OutgoingMessage,
	SendResult,
} from '../../../core/model';
import type { Coordinator, SendingLimits } from '../../../core/coordination';

export type {
	ChannelKey,
	MailAddress,
	OutgoingAttachment,
	OutgoingMessage,
	RecipientRejection,
	SendResult,
	FailedDelivery,
	FailedDeliveryQuery,
	FailedDeliveryList,
	MailboxReply,
} from '../../../core/model';

/**
 * A channel's own options for one item (the fields in its `properties`), as its `readOptions` read
 * them. Opaque to the router and the operations: they only pass them on.
 */
export type ChannelOptions = Readonly<Record<string, unknown>>;

/**
 * One open connection to a channel for the length of one node execution.
 *
 * Sending promises, for every channel: a message is sent at most once. After an answer that leaves
 * the outcome unknown (a timeout or a broken connection after the last byte, a 5xx that may follow
 * storing, an interrupted request), the message is sent again only when a look-up positively shows
 * it is absent; otherwise `send` fails with `EUNKNOWN` (not retryable) and the error's context
 * carries the Message-ID.
 */
export interface ChannelSession {
	/** How many sends the router may have in flight at once. */
	readonly concurrency: number;
	/** Sends one message; `options` are what the channel's `readOptions` read for the message's item. */
	send(message: OutgoingMessage, options?: ChannelOptions): Promise<SendResult>;
	listFailedDeliveries?(query: FailedDeliveryQuery): Promise<FailedDeliveryList>;
	/** Ends the session; after a cancel it also cuts what is in flight. Never throws. */
	close(): Promise<void>;
	/**
	 * The sending account's limits, enforced across executions and workers by the router (messages
	 * per minute, daily caps) and by the channel's transport (connections). Undefined: none.
	 */
	readonly limits?: SendingLimits;
	/**
	 * Whether the message (by its Message-ID) is in the sender's Sent folder: asked about a send
	 * under an idempotency key that never confirmed. Undefined where the channel cannot look.
	 */
	findSent?(message: OutgoingMessage): Promise<boolean | undefined>;
}

export interface OpenOptions {
	/**
	 * What sends share beyond this execution: the coordinator (this process + SQLite, or Redis in
	 * queue mode) and the sending account's name in it. Channels use it for connection slots.
	 */
	shared?: { coordinator: Coordinator; account: string };
	/**
	 * n8n's cancel signal for the execution. When it aborts, the session stops: no new request or
	 * SMTP transaction starts, in-flight HTTP requests are aborted and connections closed. A send cut
	 * before any byte of the message left fails `ENOTSENT`; one cut later fails `EUNKNOWN`.
	 */
	signal?: AbortSignal;
	/**
	 * The channel's options as read for the first item, for what holds for the whole session (Gmail's
	 * pace and timeout). Undefined where no node options exist (the trigger, the editor): defaults.
	 */
	options?: ChannelOptions;
}

/**
 * What a channel may use from n8n: the node's execution context, or a polling trigger's (the
 * Delivery Channel Trigger lists failed deliveries too). Both give credentials, parameters and the
 * authenticated HTTP helpers.
 */
export type ChannelContext = IExecuteFunctions | IPollFunctions;

/** One way to sign in to a channel: an option of the node's Authentication parameter and its credential. */
export interface ChannelAuthentication {
	/** The parameter's value. */
	value: string;
	/** The option's name in the editor. */
	name: string;
	credentialType: string;
}

export interface Channel {
	key: ChannelKey;
	/** The option name users pick in the Channel parameter. */
	displayName: string;
	description: string;
	/**
	 * What choosing this channel means, shown at the top of the node's and the trigger's parameters
	 * (n8n folds the Channel parameter into the credential picker, so its description never shows).
	 */
	notice: string;
	credentialType: string;
	/**
	 * Ways to sign in when there is more than one: the node's Authentication parameter (shown for this
	 * channel) picks the credential; the first is its default and uses `credentialType`.
	 */
	authentications?: ChannelAuthentication[];
	/**
	 * The channel's server keeps idempotency keys itself (the MSC API): a send with a key goes to it
	 * as it is, and the server answers a repeat with the first email. Else the shared ledger guards it.
	 */
	keepsIdempotencyKeys?: boolean;
	/**
	 * The channel's send calls `beforeTransmit()` (core/coordination/transmit) right before its
	 * message leaves, after every wait (connection slot, per-minute place, pacing), and sends nothing
	 * when it throws. A send under an Idempotency Key is then marked started only there, so a worker
	 * killed while waiting leaves a key the next attempt takes over. Without it the key is marked
	 * started before the channel's send is called.
	 */
	marksTransmit?: boolean;
	/**
	 * Fields this channel adds to the Send operation's Options collection, shown for this channel
	 * only (one Options collection per operation; the required fields come first).
	 */
	sendOptions?: INodeProperties[];
	/**
	 * Reads and checks this channel's own options (`sendOptions`) for one item. The one place a
	 * channel's node options are read: the router calls it once per item, before anything is sent,
	 * and hands the result to `open` (the first item's) and to `send`.
	 */
	readOptions?(context: IExecuteFunctions, itemIndex: number): ChannelOptions;
	open(context: ChannelContext, options?: OpenOptions): Promise<ChannelSession>;
	/** Backs the credential test (the "Test" button in the credential dialog). */
	testCredential?(
		this: ICredentialTestFunctions,
		credentials: ICredentialDataDecryptedObject,
		credentialType?: string,
	): Promise<INodeCredentialTestResult>;
	/** Identities the editor offers in the Identity list. */
	listIdentities?(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchItems[]>;
}
