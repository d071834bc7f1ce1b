/** Unit tests: pacing, Google error reading, identity decisions, search strings. */
import {
	readGoogleFailure,
	retryAfterInMessage,
} from '../../../../../nodes/DeliveryChannel/channels/gmail/errors';
import {
	reportSearch,
	sentSearch,
} from '../../../../../nodes/DeliveryChannel/channels/gmail/search';
import {
	decideIdentity,
	sendAsIdentities,
} from '../../../../../nodes/DeliveryChannel/channels/gmail/identity';
import { TokenBucket } from '../../../../../nodes/DeliveryChannel/channels/gmail/pacing';
import { tokenState } from '../../../../../nodes/DeliveryChannel/channels/gmail/auth';
import { DeliveryError } from '../../../../../core/errors';

function clock() {
	let now = 0;
	const slept: number[] = [];
	return {
		now: () => now,
		sleep: async (ms: number) => {
			slept.push(ms);
			now += ms;
		},
		slept,
		advance: (ms: number) => (now += ms),
	};
}

describe('TokenBucket', () => {
	test('a burst up to the capacity, then the steady rate', async () => {
		const c = clock();
		const bucket = new TokenBucket(6000, 200, c.now, c.sleep); // 100 units per second
		for (let i = 0; i < 6; i++) await bucket.take(100);
		// 2 at once, then 4 more at one per second
		expect(c.now()).toBe(4000);
	});

	test('pause() holds everyone and empties the bucket', async () => {
		const c = clock();
		const bucket = new TokenBucket(6000, 200, c.now, c.sleep);
		bucket.pause(5000);
		await bucket.take(100);
		expect(c.now()).toBe(6000);
	});

	test('takers are served in order', async () => {
		const c = clock();
		const bucket = new TokenBucket(6000, 100, c.now, c.sleep);
		const order: number[] = [];
		await Promise.all([1, 2, 3].map((n) => bucket.take(100).then(() => order.push(n))));
		expect(order).toEqual([1, 2, 3]);
	});
});

test('Gmail\'s "Retry after <time>" in a message', () => {
	expect(
		retryAfterInMessage('User-rate limit exceeded.  Retry after 1970-01-01T00:00:03.000Z', 0),
	).toBe(3000);
	expect(retryAfterInMessage('nothing', 0)).toBeUndefined();
});

test('Retry-After: the header first, else the time in the message', () => {
	const at = (headers: Record<string, string>, message: string) =>
		readGoogleFailure(
			{
				message,
				response: { status: 429, data: { error: { message } }, headers: new Headers(headers) },
			},
			0,
		).retryAfterMs;
	expect(at({ 'retry-after': '7' }, 'Retry after 1970-01-01T00:00:03.000Z')).toBe(7000);
	expect(at({}, 'Retry after 1970-01-01T00:00:03.000Z')).toBe(3000);
	expect(at({}, 'nothing')).toBeUndefined();
});

function gaxios(status: number, error: object, headers: Record<string, string> = {}) {
	return {
		message: 'Request failed',
		response: { status, data: { error }, headers: new Headers(headers) },
	};
}

describe('readGoogleFailure', () => {
	test.each([
		[
			gaxios(
				429,
				{
					code: 429,
					message: 'User-rate limit exceeded.',
					errors: [{ reason: 'rateLimitExceeded' }],
				},
				{ 'retry-after': '2' },
			),
			'rate',
			2000,
		],
		[
			gaxios(403, {
				code: 403,
				message: 'User Rate Limit Exceeded',
				errors: [{ reason: 'userRateLimitExceeded' }],
			}),
			'rate',
			undefined,
		],
		[
			gaxios(403, {
				code: 403,
				message: 'Daily Limit Exceeded',
				errors: [{ reason: 'dailyLimitExceeded' }],
			}),
			'daily',
			undefined,
		],
		[
			gaxios(429, {
				code: 429,
				message: 'Mail sending limit exceeded.',
				errors: [{ reason: 'rateLimitExceeded' }],
			}),
			'daily',
			undefined,
		],
		[
			gaxios(
				429,
				{ code: 429, message: 'x', errors: [{ reason: 'rateLimitExceeded' }] },
				{ 'retry-after': '3600' },
			),
			'daily',
			3_600_000,
		],
		[
			gaxios(403, {
				code: 403,
				message: 'Request had insufficient authentication scopes.',
				errors: [{ reason: 'insufficientPermissions' }],
			}),
			'scope',
			undefined,
		],
		[
			gaxios(401, { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError' }] }),
			'unauthenticated',
			undefined,
		],
		[
			gaxios(500, {
				code: 500,
				message: 'Internal error encountered.',
				errors: [{ reason: 'backendError' }],
			}),
			'server',
			undefined,
		],
		[
			gaxios(400, {
				code: 400,
				message: 'Invalid To header',
				errors: [{ reason: 'invalidArgument' }],
			}),
			'client',
			undefined,
		],
		[
			{
				message: 'Unexpected Gaxios Error',
				cause: { message: 'fetch failed', cause: { code: 'ECONNREFUSED' } },
			},
			'unreachable',
			undefined,
		],
		[
			{
				message: 'Unexpected Gaxios Error',
				cause: { message: 'fetch failed', cause: { code: 'ECONNRESET' } },
			},
			'interrupted',
			undefined,
		],
	])('%#: %j', (error, kind, wait) => {
		const failure = readGoogleFailure(error);
		expect(failure.kind).toBe(kind);
		if (wait !== undefined) expect(failure.retryAfterMs).toBe(wait);
	});
});

describe('identity', () => {
	const identities = sendAsIdentities([
		{ sendAsEmail: 'jane@acme.example', displayName: 'Jane', isPrimary: true },
		{ sendAsEmail: 'sales@acme.example', displayName: 'Sales', verificationStatus: 'accepted' },
		{ sendAsEmail: 'pending@acme.example', verificationStatus: 'pending' },
	]);

	test('a verified alias is used as requested, case-insensitively, with its Gmail name as fallback', () => {
		expect(
			decideIdentity({ name: '', address: 'SALES@acme.example' }, identities, 'fail'),
		).toMatchObject({
			asRequested: true,
			from: { name: 'Sales', address: 'sales@acme.example' },
		});
	});

	test('an unverified one fails or falls back to the account with a warning', () => {
		expect(() =>
			decideIdentity({ name: '', address: 'pending@acme.example' }, identities, 'fail'),
		).toThrow(DeliveryError);
		const decision = decideIdentity(
			{ name: 'X', address: 'x@else.example' },
			identities,
			'sendAsAccount',
		);
		expect(decision).toMatchObject({
			asRequested: false,
			from: { name: 'Jane', address: 'jane@acme.example' },
		});
		expect(decision.warning).toMatch(/instead of X <x@else\.example>/);
	});
});

test('search strings', () => {
	const q = reportSearch(
		{ recipient: 'bob@example.net', includeComplaints: false },
		Date.UTC(2026, 10, 1),
		Date.UTC(2026, 10, 2),
	);
	// after: starts a second early (whole seconds, inclusive or not); the internal date decides exactly.
	expect(q).toBe(
		`{from:mailer-daemon from:postmaster from:"mail delivery"} after:${Date.UTC(2026, 10, 1) / 1000 - 1} before:${Date.UTC(2026, 10, 2) / 1000} "bob@example.net"`,
	);
	expect(
		sentSearch({ method: 'message-id', value: '<a.b@acme.example>', confidence: 'high' }),
	).toBe('in:sent rfc822msgid:a.b@acme.example');
	expect(
		sentSearch({
			method: 'subject-recipient',
			value: 'bob@example.net\nHello "you"',
			confidence: 'low',
		}),
	).toBe('in:sent to:bob@example.net subject:"Hello  you"');
	expect(sentSearch({ method: 'envelope-id', value: 'dc-1', confidence: 'high' })).toBeUndefined();
});

test('token state reads n8n_expires_at, seconds or ISO expiries, and the granted scopes', () => {
	expect(tokenState({ access_token: 'a', n8n_expires_at: '1700000000000', scope: 'x y' })).toEqual({
		accessToken: 'a',
		expiresAt: 1700000000000,
		grantedScopes: ['x', 'y'],
	});
	expect(tokenState({ access_token: 'a', expires: '2026-11-23T10:00:00Z' }).expiresAt).toBe(
		Date.parse('2026-11-23T10:00:00Z'),
	);
	expect(tokenState({ access_token: 'a', expires_at: 1700000000 }).expiresAt).toBe(1700000000000);
});

test('slowDown() lowers the pace and refunds the refused units; speedUp() recovers it', async () => {
	const c = clock();
	const bucket = new TokenBucket(6000, 100, c.now, c.sleep);
	await bucket.take(100);
	bucket.slowDown(100);
	expect(bucket.currentUnitsPerMinute).toBeCloseTo(5400);
	await bucket.take(100); // refunded: no wait
	expect(c.now()).toBe(0);
	await bucket.take(100);
	expect(c.now()).toBe(Math.ceil((100 * 60_000) / 5400));
	for (let i = 0; i < 10; i++) bucket.speedUp();
	expect(bucket.currentUnitsPerMinute).toBe(6000);
});
