/**
 * Failures carry a documented code instead of a class per case, and say whether trying again can
 * help. Operations turn them into item errors; the router uses `stopsBatch` to hold back the items
 * that have not been sent yet when a channel says further sends are pointless (a daily limit).
 */
export type DeliveryErrorCode =
	| 'EINPUT' // a parameter or the item's data is wrong; nothing was sent
	| 'EAUTH' // the server refused the login or the token
	| 'ECONNECTION' // could not reach the server or the connection broke before the message was handed over
	| 'ETIMEDOUT' // the server did not answer in time
	| 'ETLS' // the secure connection could not be set up (certificate, protocol)
	| 'EENVELOPE' // the server refused the sender or every recipient
	| 'EMESSAGE' // the server refused the message content
	| 'EUNKNOWN' // the message may or may not have been accepted: it is not sent again
	| 'ERATELIMIT' // too many requests; slowed down and gave up
	| 'EQUOTA' // a sending limit is reached; later items are held back
	| 'ENOTSENT' // held back because an earlier item hit a limit that stops the batch
	| 'EIDENTITY' // the identity cannot be used on this channel
	| 'ENOTAVAILABLE' // the operation is not available for this channel (yet)
	| 'EPROTOCOL'; // the server answered something we do not understand

export interface DeliveryErrorOptions {
	code: DeliveryErrorCode;
	retryable?: boolean;
	recipients?: string[];
	/** The parameter the problem is in, for input errors. */
	field?: string;
	responseCode?: number;
	response?: string;
	/** How to fix it, shown as the error description in n8n. */
	hint?: string;
	stopsBatch?: boolean;
	cause?: unknown;
}

export class DeliveryError extends Error {
	readonly code: DeliveryErrorCode;
	readonly retryable: boolean;
	readonly recipients: string[];
	readonly field?: string;
	readonly responseCode?: number;
	readonly response?: string;
	readonly hint?: string;
	readonly stopsBatch: boolean;
	/** Facts about the message the error concerns (Message-ID, identity), shown on the failed item. */
	context: Record<string, unknown> = {};

	constructor(message: string, options: DeliveryErrorOptions) {
		super(message, { cause: options.cause });
		this.name = 'DeliveryError';
		this.code = options.code;
		this.retryable = options.retryable ?? false;
		this.recipients = options.recipients ?? [];
		this.field = options.field;
		this.responseCode = options.responseCode;
		this.response = options.response;
		this.hint = options.hint;
		this.stopsBatch = options.stopsBatch ?? false;
	}
}

export function inputError(field: string, message: string, hint?: string): DeliveryError {
	return new DeliveryError(message, { code: 'EINPUT', field, hint });
}
