/** The MSC credential (Base URL, Timeout) checked and read, and the retry timing of the client. */
import type { IDataObject } from 'n8n-workflow';

import { DeliveryError } from '../../../../core/errors';
import { MAX_WAIT_MS } from '../../../../core/retry';

export interface RetryPolicy {
	/** Tries per request after a 429, a 5xx or a broken connection, the first included. */
	attempts: number;
	/** First back-off after a 5xx or a broken connection; doubled each time, with jitter. */
	baseDelayMs: number;
	/** The longest single wait the node accepts; an API asking for more (Retry-After) is not waited for. */
	maxWaitMs: number;
	/** How long a request the API reports in progress is asked about when the answer gives no deadline. */
	inProgressMs: number;
	/** The most the node waits for a request in progress, whatever deadline the API gives. */
	maxInProgressMs: number;
	/** Default time to wait for one answer (the credential's Timeout overrides it). */
	timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
	attempts: 5,
	baseDelayMs: 500,
	maxWaitMs: MAX_WAIT_MS,
	inProgressMs: 120_000,
	maxInProgressMs: 180_000,
	timeoutMs: 60_000,
};

/** Longest text of a wrong input repeated in an error. */
const SHOWN_INPUT = 120;

function shown(value: string): string {
	return JSON.stringify(value.length > SHOWN_INPUT ? `${value.slice(0, SHOWN_INPUT)}…` : value);
}

/** This computer: the only place plain http:// may go (nothing on the network can read it). */
export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
	return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function baseUrlOf(credentials: IDataObject): string {
	const raw = String(credentials.baseUrl ?? '')
		.trim()
		.replace(/\/+$/, '');
	const invalid = (message: string, hint: string) =>
		new DeliveryError(message, { code: 'EINPUT', field: 'baseUrl', stopsBatch: true, hint });
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw invalid(
			`The MSC credential's Base URL is not a URL: ${shown(raw)}`,
			'Enter the API address, e.g. http://127.0.0.1:8025 for the local sandbox.',
		);
	}
	if (url.username || url.password) {
		// The value is not repeated: it holds a password.
		throw invalid(
			`The MSC credential's Base URL must not contain a user name or password (${url.protocol}//…@${url.host})`,
			'Remove the user name and password from the Base URL; the API Key field authenticates.',
		);
	}
	if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
		throw invalid(
			`The MSC credential's Base URL must use https:// for ${url.hostname}, got ${shown(raw)}: over ` +
				'http:// the API key and every message would cross the network unencrypted',
			'Use the https:// address of the MSC API. Plain http:// is accepted only for this computer ' +
				'(localhost, 127.0.0.1, ::1), such as the local sandbox.',
		);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw invalid(
			`The MSC credential's Base URL must start with https:// (or http:// for this computer), got ${shown(raw)}`,
			'Enter the API address, e.g. https://api.msc.example.',
		);
	}
	return raw;
}

/** The credential's Timeout (seconds) in milliseconds, or the policy's default when unset. */
export function timeoutOf(credentials: IDataObject, fallbackMs: number): number {
	const value = credentials.timeout;
	if (value === undefined || value === null || value === '') return fallbackMs;
	const seconds = Number(value);
	if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) {
		throw new DeliveryError(
			`The MSC credential's Timeout must be between 1 and 600 seconds, got ${shown(String(value))}`,
			{
				code: 'EINPUT',
				field: 'timeout',
				stopsBatch: true,
			},
		);
	}
	return seconds * 1000;
}
