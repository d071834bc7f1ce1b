/**
 * Large messages on Gmail: over 5 MB they go through Google's resumable upload protocol (a session,
 * then 8 MiB chunks), resumed after a broken or failed chunk from what Google says it holds, and
 * sent exactly once. Through the real node in n8n's engine against the fake Google server, and the
 * upload alone (with a sleep that does not wait) for the cases the node cannot stage.
 */
import { randomBytes } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

import { DeliveryError } from '../../../../../core/errors';
import { connectGmail } from '../../../../../nodes/DeliveryChannel/channels/gmail';
import {
	sendResumable,
	UPLOAD_CHUNK_BYTES,
	UPLOAD_GRANULE_BYTES,
} from '../../../../../nodes/DeliveryChannel/channels/gmail/upload';
import { receivedBytes } from '../../../../../nodes/DeliveryChannel/channels/gmail/uploadSession';
import { startFakeGmail, type FakeGmail } from '../../../../fakes/gmail';
import { simpleParser } from '../../../../helpers/parse-mail';
import { gmailCredential, NODE, runGmail, sendParameters } from './harness';

let fake: FakeGmail;

beforeEach(async () => {
	fake = await startFakeGmail({ account: { email: 'jane@acme.example', displayName: 'Jane Doe' } });
});

afterEach(async () => {
	await fake.close();
});

const MiB = 1024 * 1024;
const mail = {
	from: 'jane@acme.example',
	to: 'bob@example.net',
	subject: 'The big file',
	text: 'Attached.',
};

/** Random bytes, so a chunk stored twice, lost or out of order shows in the attachment. */
const attachment = randomBytes(Math.round(8.75 * MiB));

async function sendLarge(content: Buffer = attachment): Promise<IDataObject> {
	const run = await runGmail({
		items: [mail],
		files: [
			{
				propertyName: 'data',
				fileName: 'big.bin',
				mimeType: 'application/octet-stream',
				content: content.toString('base64'),
				encoding: 'base64',
			},
		],
		parameters: sendParameters({
			options: { attachments: { attachment: [{ binaryPropertyName: 'data' }] } },
		}),
		credential: gmailCredential(fake),
	});
	return run.output(NODE)[0].json;
}

/** The one message in Sent has the whole attachment, byte for byte. */
async function expectSentOnceIntact(item: IDataObject): Promise<void> {
	expect(fake.sent()).toHaveLength(1);
	const [stored] = fake.sent();
	expect(stored.id).toBe(item.gmailMessageId);
	expect(stored.raw.length).toBe(item.sizeBytes);
	const parsed = await simpleParser(stored.raw);
	expect(parsed.attachments).toHaveLength(1);
	expect(parsed.attachments[0].filename).toBe('big.bin');
	const received = Buffer.from(parsed.attachments[0].content as ArrayBuffer);
	expect(received.length).toBe(attachment.length);
	expect(received.equals(attachment)).toBe(true);
}

/** [kind, Content-Range, answer] of every PUT to a session URI. */
function puts(): Array<[string, string | null, number | null]> {
	return fake.state.uploadRequests.map((r) => [r.kind, r.contentRange, r.status]);
}

function sendRequests() {
	return fake.state.requests.filter((r) => r.method === 'send');
}

describe('through the node', () => {
	test('a 12 MB message goes through one resumable session in 8 MiB chunks and arrives complete', async () => {
		const item = await sendLarge();
		expect(item).toMatchObject({
			status: 'sent',
			uploadType: 'resumable',
			uploadChunks: 2,
			uploadResumes: 0,
			attempts: 1,
		});
		const size = item.sizeBytes as number;
		expect(size).toBeGreaterThan(12_000_000);
		expect(size).toBeLessThan(2 * UPLOAD_CHUNK_BYTES);
		expect(sendRequests()).toEqual([
			expect.objectContaining({
				upload: true,
				query: { uploadType: 'resumable' },
				outcome: 'sent',
				messageId: item.gmailMessageId,
			}),
		]);
		const session = fake.state.uploadSessions.get(sendRequests()[0].uploadId!)!;
		expect(session.declared).toBe(size);
		expect(puts()).toEqual([
			['chunk', `bytes 0-${8 * MiB - 1}/${size}`, 308],
			['chunk', `bytes ${8 * MiB}-${size - 1}/${size}`, 200],
		]);
		await expectSentOnceIntact(item);
	});

	test('a chunk whose connection breaks and a chunk answered 503 are resumed from what Google holds; sent once', async () => {
		// The connection breaks 3 MiB + 1000 bytes into the first chunk: Google keeps 3 MiB.
		fake.failUploadChunk('disconnect', { afterBytes: 3 * MiB + 1000 });
		fake.failUploadChunk('unavailable503');
		const item = await sendLarge();
		expect(item).toMatchObject({
			status: 'sent',
			uploadType: 'resumable',
			uploadChunks: 4,
			uploadResumes: 2,
		});
		const size = item.sizeBytes as number;
		expect(puts()).toEqual([
			['chunk', `bytes 0-${8 * MiB - 1}/${size}`, null],
			['status', `bytes */${size}`, 308],
			// From the byte after what Google holds, not from the start of the broken chunk.
			['chunk', `bytes ${3 * MiB}-${11 * MiB - 1}/${size}`, 503],
			['status', `bytes */${size}`, 308],
			['chunk', `bytes ${3 * MiB}-${11 * MiB - 1}/${size}`, 308],
			['chunk', `bytes ${11 * MiB}-${size - 1}/${size}`, 200],
		]);
		expect(fake.state.uploadRequests.map((r) => r.fault)).toEqual([
			'disconnect',
			undefined,
			'unavailable503',
			undefined,
			undefined,
			undefined,
		]);
		expect(sendRequests()).toHaveLength(1);
		await expectSentOnceIntact(item);
	}, 30_000);

	test('when the answer to the last chunk is lost, the status query finds the upload complete and nothing is sent again', async () => {
		fake.failUploadChunk('loseResponse', { chunk: 'last' });
		const item = await sendLarge();
		expect(item).toMatchObject({ status: 'sent', uploadType: 'resumable', uploadChunks: 2 });
		const size = item.sizeBytes as number;
		expect(puts()).toEqual([
			['chunk', `bytes 0-${8 * MiB - 1}/${size}`, 308],
			['chunk', `bytes ${8 * MiB}-${size - 1}/${size}`, null],
			['status', `bytes */${size}`, 200],
		]);
		expect(sendRequests()).toHaveLength(1);
		await expectSentOnceIntact(item);
	}, 30_000);

	test('starting the session goes through the usual call: a 429 and a 401 are retried, the token renewed through n8n', async () => {
		fake.inject('send', 'rateLimit429', { retryAfterSec: 0 });
		fake.inject('send', 'unauthenticated');
		const item = await sendLarge();
		expect(item).toMatchObject({ status: 'sent', uploadType: 'resumable', attempts: 3 });
		expect(sendRequests().map((r) => r.injected ?? r.outcome)).toEqual([
			'rateLimit429',
			'unauthenticated',
			'sent',
		]);
		// Only the third POST started a session.
		expect(sendRequests().map((r) => Boolean(r.uploadId))).toEqual([false, false, true]);
		expect(fake.state.tokenRequests).toEqual([
			expect.objectContaining({ grantType: 'refresh_token' }),
		]);
		await expectSentOnceIntact(item);
	}, 30_000);

	test('a message over 35 MB is an item error before anything is sent', async () => {
		const content = 'B'.repeat(27 * MiB); // 27 MB, about 36 MB once base64-encoded
		const run = await runGmail({
			items: [mail],
			files: [
				{
					propertyName: 'data',
					fileName: 'huge.bin',
					mimeType: 'application/octet-stream',
					content,
				},
			],
			parameters: sendParameters({
				options: {
					maxAttachmentSizeMb: 100,
					attachments: { attachment: [{ binaryPropertyName: 'data' }] },
				},
			}),
			credential: gmailCredential(fake),
		});
		const [item] = run.output(NODE).map((entry) => entry.json);
		expect(item).toMatchObject({ status: 'failed', code: 'EINPUT' });
		expect(item.error).toMatch(/over Gmail's limit of 35 MB/);
		expect(sendRequests()).toHaveLength(0);
		expect(fake.state.uploadSessions.size).toBe(0);
		expect(fake.state.uploadRequests).toHaveLength(0);
		expect(fake.sent()).toHaveLength(0);
	}, 30_000);
});

describe('the upload alone', () => {
	/** A plain message of about 1.1 MB: five 256 KiB chunks. */
	const raw = Buffer.from(
		`From: jane@acme.example\r\nTo: bob@example.net\r\nSubject: Upload\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <upload-1@acme.example>\r\n\r\n${'0123456789abcdef\r\n'.repeat(62_000)}`,
		'latin1',
	);
	const chunkBytes = UPLOAD_GRANULE_BYTES;

	async function api() {
		return await connectGmail(
			{ getCredentials: async () => gmailCredential(fake), helpers: {} },
			600_000,
		);
	}

	test('Google forgetting the session mid-upload starts a new one; the message is sent once', async () => {
		fake.failUploadChunk('unavailable503', { chunk: 2 });
		const sleeps: number[] = [];
		const result = await sendResumable(await api(), raw, {
			scopeHint: 'scope',
			chunkBytes,
			random: () => 0,
			sleep: async (ms) => {
				sleeps.push(ms);
				fake.expireUploadSessions();
			},
		});
		expect(result).toMatchObject({ attempts: 2 });
		expect(sleeps).toEqual([500]);
		expect(sendRequests().map((r) => r.outcome)).toEqual([undefined, 'sent']);
		expect(puts().map(([kind, , status]) => [kind, status])).toEqual([
			['chunk', 308],
			['chunk', 503],
			['status', 404],
			['chunk', 308],
			['chunk', 308],
			['chunk', 308],
			['chunk', 308],
			['chunk', 200],
		]);
		expect(fake.sent()).toHaveLength(1);
		expect(fake.sent()[0].raw.equals(raw)).toBe(true);
		expect(result.data.id).toBe(fake.sent()[0].id);
	});

	test('a session lost after its last byte went out without an answer: found in Sent, not uploaded again', async () => {
		fake.failUploadChunk('loseResponse', { chunk: 'last' });
		let lookedInSent = 0;
		const result = await sendResumable(await api(), raw, {
			scopeHint: 'scope',
			chunkBytes,
			sleep: async () => fake.expireUploadSessions(),
			findSent: async () => {
				lookedInSent++;
				return { id: fake.sent()[0]?.id, labelIds: ['SENT'] };
			},
		});
		expect(result).toMatchObject({ recovered: true, data: { id: fake.sent()[0].id } });
		expect(lookedInSent).toBe(1);
		expect(
			puts()
				.slice(-2)
				.map(([kind, , status]) => [kind, status]),
		).toEqual([
			['chunk', null],
			['status', 404],
		]);
		expect(sendRequests()).toHaveLength(1);
		expect(fake.sent()).toHaveLength(1);
	});

	test('the same without permission to read the mailbox fails with EUNKNOWN (may have been sent), not a second upload', async () => {
		fake.failUploadChunk('loseResponse', { chunk: 'last' });
		const error = await sendResumable(await api(), raw, {
			scopeHint: 'scope',
			chunkBytes,
			sleep: async () => fake.expireUploadSessions(),
		}).catch((e) => e);
		expect(error).toBeInstanceOf(DeliveryError);
		expect(error).toMatchObject({ code: 'EUNKNOWN', retryable: false });
		expect(error.message).toMatch(/may have been sent/);
		expect(error.hint).toMatch(/Sent folder/);
		expect(sendRequests()).toHaveLength(1);
		expect(fake.sent()).toHaveLength(1);
	});

	test('chunks that keep failing give up after a bounded number of tries: ECONNECTION, retryable, nothing sent, no token', async () => {
		for (let i = 0; i < 10; i++) fake.failUploadChunk('unavailable503');
		const gmail = await api();
		const sleeps: number[] = [];
		const error = await sendResumable(gmail, raw, {
			scopeHint: 'scope',
			chunkBytes,
			attempts: 3,
			random: () => 1,
			sleep: async (ms) => void sleeps.push(ms),
		}).catch((e) => e);
		expect(error).toBeInstanceOf(DeliveryError);
		expect(error).toMatchObject({ code: 'ECONNECTION', retryable: true, responseCode: 503 });
		expect(error.message).toMatch(
			/failed 3 times in a row during the upload of the message, at bytes 0-262143 of the \d+-byte message .*; nothing was sent$/,
		);
		expect(sleeps).toEqual([1000, 2000]);
		expect(puts().map(([kind, , status]) => [kind, status])).toEqual([
			['chunk', 503],
			['status', 308],
			['chunk', 503],
			['status', 308],
			['chunk', 503],
		]);
		expect(fake.sent()).toHaveLength(0);
		const text = JSON.stringify({
			message: error.message,
			response: error.response,
			hint: error.hint,
		});
		expect(text).not.toContain(gmail.auth.accessToken!);
	});

	test('the fake answers as Google does: wrong type, too large, odd chunk sizes, status before any byte, unknown session', async () => {
		const token = fake.issueTokens().access_token;
		const start = (headers: Record<string, string>) =>
			fetch(`${fake.apiBaseUrl}/upload/gmail/v1/users/me/messages/send?uploadType=resumable`, {
				method: 'POST',
				headers: {
					Authorization: `Bearer ${token}`,
					'Content-Type': 'application/json; charset=UTF-8',
					...headers,
				},
			});
		const wrongType = await start({
			'X-Upload-Content-Type': 'text/plain',
			'X-Upload-Content-Length': '10',
		});
		expect(wrongType.status).toBe(400);
		expect(((await wrongType.json()) as { error: { message: string } }).error.message).toMatch(
			/Valid media types: \[message\/\*\]/,
		);
		const tooLarge = await start({
			'X-Upload-Content-Type': 'message/rfc822',
			'X-Upload-Content-Length': String(35 * MiB + 1),
		});
		expect(tooLarge.status).toBe(400);
		expect(((await tooLarge.json()) as { error: { message: string } }).error.message).toMatch(
			/Max size is 35 MB/,
		);

		const started = await start({
			'X-Upload-Content-Type': 'message/rfc822',
			'X-Upload-Content-Length': String(raw.length),
		});
		expect(started.status).toBe(200);
		const session = started.headers.get('location')!;
		expect(session).toMatch(
			/\/upload\/gmail\/v1\/users\/me\/messages\/send\?uploadType=resumable&upload_id=\S+/,
		);
		const put = (range: string, body?: Buffer) =>
			fetch(session, {
				method: 'PUT',
				redirect: 'manual',
				headers: { 'Content-Range': range },
				body: body ?? new Uint8Array(0),
			});

		const before = await put(`bytes */${raw.length}`);
		expect(before.status).toBe(308);
		expect(before.headers.get('range')).toBeNull();
		const odd = await put(`bytes 0-99999/${raw.length}`, raw.subarray(0, 100_000));
		expect(odd.status).toBe(400);
		expect(((await odd.json()) as { error: { message: string } }).error.message).toMatch(
			/multiple of 262144/,
		);
		const first = await put(
			`bytes 0-${UPLOAD_GRANULE_BYTES - 1}/${raw.length}`,
			raw.subarray(0, UPLOAD_GRANULE_BYTES),
		);
		expect(first.status).toBe(308);
		expect(receivedBytes(first.headers.get('range'))).toBe(UPLOAD_GRANULE_BYTES);
		const rest = await put(
			`bytes ${UPLOAD_GRANULE_BYTES}-${raw.length - 1}/${raw.length}`,
			raw.subarray(UPLOAD_GRANULE_BYTES),
		);
		expect(rest.status).toBe(200);
		const sent = (await rest.json()) as { id: string };
		const after = await put(`bytes */${raw.length}`);
		expect(after.status).toBe(200);
		expect(((await after.json()) as { id: string }).id).toBe(sent.id);
		expect(fake.sent()).toHaveLength(1);

		const unknown = await fetch(session.replace(/upload_id=[^&]+/, 'upload_id=nope'), {
			method: 'PUT',
			headers: { 'Content-Range': 'bytes */1' },
		});
		expect(unknown.status).toBe(404);
	});
});
