/**
 * Failed Deliveries for Custom SMTP: the bounce reports that the mail system returned to the
 * sender's mailbox, read over IMAP (imapflow), parsed by the bounce engine and linked to the sent
 * message (the Sent folder searched by Message-ID or X-Delivery-Id; our own envelope ids and
 * Message-IDs are recognised even when the mailbox keeps no Sent copy).
 *
 * Everything is bounded: how many messages are looked at and parsed per call, how many bytes of a
 * report are read, how many Sent searches run, and every network step has a timeout.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';
import { ImapFlow, type FetchMessageObject, type ImapFlowOptions, type ListResponse, type MessageStructureObject } from 'imapflow';

import { parseBounce } from '../../bounce';
import type { BounceReport, OriginalLink } from '../../bounce/types';
import { failuresFromReport, matchesQuery, type ReportSource, type SentMessageResolver } from '../../failures';
import { DeliveryError } from '../errors';
import type { FailedDelivery, FailedDeliveryQuery } from '../types';
import { portSecurityMismatch } from './settings';

export type MailboxSecurity = 'tls' | 'starttls' | 'none';

export interface MailboxSettings {
	host: string;
	port: number;
	security: MailboxSecurity;
	user: string;
	password: string;
	/** The folders to scan for reports, as the user named them. */
	folders: string[];
	/** The folder that holds sent messages; empty = the one marked \Sent, if any. */
	sentFolder: string;
	allowSelfSigned: boolean;
}

export const MAILBOX_LIMITS = {
	/** Messages whose headers are looked at per call (the newest ones in the time window). */
	scanned: 5_000,
	/** Likely reports downloaded and parsed per call. */
	parsed: 500,
	/** Bytes of a report that are read; reports with RET=HDRS are a few KiB. */
	reportBytes: 256 * 1024,
	/** Searches in the Sent folder per call; beyond that, only our own ids are recognised. */
	sentSearches: 200,
	connectMs: 15_000,
	greetingMs: 15_000,
	socketMs: 60_000,
	/** Logging out must not hold up the end of a workflow step. */
	logoutMs: 5_000,
};

const DAY_MS = 24 * 60 * 60 * 1000;
/** Our delivery ids (the DSN envelope id and the Message-ID's local part): `dc-<uuid>`. */
const OWN_ID = /^dc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JUNK_NAME = /^(?:junk|spam|junk e-?mail|bulk(?: mail)?|junk mail)$/i;
const SENT_NAMES = ['Sent', 'Sent Items', 'Sent Messages', 'Sent Mail', 'INBOX/Sent', 'INBOX.Sent'];

/**
 * The reports' tell-tale signs. Deliberately broad: a candidate that is no report costs one parse,
 * a report that is skipped is a failure nobody sees. (93 % of reports come from mailer-daemon@ or
 * postmaster@; only about half carry a multipart/report.)
 */
const REPORT_SENDER = /^(?:mailer-daemon|mailerdaemon|mail-daemon|postmaster|mdaemon|bounces?|mail-?delivery(?:-?system)?|nobody|double-bounce|microsoftexchange[0-9a-f]*)$/i;
const REPORT_SENDER_NAME = /mail delivery|mailer[- ]daemon|postmaster|delivery (?:status|subsystem|system)|microsoft outlook|mail administrator/i;
const REPORT_SUBJECT =
	/undeliver|undelivered|delivery (?:status|failure|failed|notification|problem|incomplete|has failed|delayed|report)|returned (?:mail|to sender)|mail delivery|failure notice|could not be delivered|couldn't be delivered|not (?:be )?delivered|delayed mail|delivery delay|non[- ]?remis|unzustellbar|nicht zustellbar|niet bezorgd|no entregado|no se puede entregar|non recapitabile|rejected|bounced?|abuse report|complaint|feedback report|warning: message|mail system error|returned message|message not delivered/i;
const REPORT_PART = /^(?:message\/(?:delivery-status|global-delivery-status|feedback-report|rfc822|global)|text\/rfc822-headers)$/i;

function credentialError(field: string, message: string, hint?: string): DeliveryError {
	return new DeliveryError(message, { code: 'EINPUT', field, hint, stopsBatch: true });
}

/** The mailbox settings of the Custom SMTP credential, or undefined when IMAP Host is empty. */
export function mailboxSettings(credentials: ICredentialDataDecryptedObject): MailboxSettings | undefined {
	const host = String(credentials.imapHost ?? '').trim();
	if (!host) return undefined;
	const security = String(credentials.imapSecurity || 'tls') as MailboxSecurity;
	if (!['tls', 'starttls', 'none'].includes(security)) {
		throw credentialError('imapSecurity', `The Custom SMTP credential has an unknown IMAP Security value: ${JSON.stringify(security)}`);
	}
	const port = Number(credentials.imapPort || (security === 'tls' ? 993 : 143));
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw credentialError('imapPort', `The Custom SMTP credential has an invalid IMAP Port: ${JSON.stringify(credentials.imapPort)}`);
	}
	const mismatch = portSecurityMismatch(port, security === 'tls', { port: 'IMAP Port', security: 'IMAP Security' });
	if (mismatch) throw credentialError('imapPort', `The Custom SMTP credential does not fit together: ${mismatch}`);
	const ownUser = String(credentials.imapUser ?? '').trim();
	const user = ownUser || String(credentials.user ?? '').trim();
	if (!user) {
		throw credentialError('imapUser', 'The Custom SMTP credential has no login for the mailbox', 'Fill in IMAP User (or the SMTP User, which the mailbox then shares).');
	}
	const password = ownUser || credentials.imapPassword ? String(credentials.imapPassword ?? '') : String(credentials.password ?? '');
	const folders = String(credentials.imapFolders ?? 'INBOX, Junk')
		.split(',')
		.map((folder) => folder.trim())
		.filter(Boolean);
	return {
		host,
		port,
		security,
		user,
		password,
		folders: folders.length ? folders : ['INBOX'],
		sentFolder: String(credentials.sentFolder ?? '').trim(),
		allowSelfSigned: credentials.allowSelfSigned === true,
	};
}

/** What to tell a user who runs Failed Deliveries on an SMTP credential without mailbox settings. */
export function mailboxNotConfigured(): DeliveryError {
	return new DeliveryError('Failed Deliveries for Custom SMTP needs the mailbox that receives the bounce reports, and the credential has no IMAP Host', {
		code: 'EINPUT',
		field: 'imapHost',
		stopsBatch: true,
		hint: "Open the Custom SMTP credential and fill in IMAP Host (plus IMAP Port and IMAP Security if they differ from 993 / SSL/TLS). The sender's mailbox is read over IMAP; IMAP User and Password default to the SMTP ones.",
	});
}

interface ImapLibraryError extends Error {
	code?: string;
	authenticationFailed?: boolean;
	responseText?: string;
	serverResponseCode?: string;
}

const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

/** imapflow's errors in our words, with how to fix them. */
export function toMailboxError(error: unknown, settings: Pick<MailboxSettings, 'host' | 'port'>): DeliveryError {
	if (error instanceof DeliveryError) return error;
	const failure = (error ?? {}) as ImapLibraryError;
	const where = `${settings.host}:${settings.port}`;
	const code = String(failure.code ?? '');
	const text = String(failure.responseText ?? failure.message ?? '');
	const make = (errorCode: DeliveryError['code'], message: string, extra: { retryable?: boolean; hint?: string } = {}) =>
		new DeliveryError(message, { code: errorCode, cause: error, stopsBatch: true, ...extra });
	if (failure.authenticationFailed) {
		return make('EAUTH', `The mailbox server ${where} rejected the login${text ? `: ${text}` : ''}`, {
			hint: 'Check IMAP User and IMAP Password of the Custom SMTP credential (empty means the SMTP User and Password are used). Microsoft 365 and Gmail may need an app password or IMAP enabled for the mailbox.',
		});
	}
	if (CERTIFICATE_CODES.test(code) || /certificate/i.test(failure.message ?? '')) {
		return make('ETLS', `The certificate of the mailbox server ${where} is not trusted (${code || failure.message})`, {
			hint: 'Use the host name the certificate was issued for, or turn on "Allow Self-Signed Certificates" if you trust this server.',
		});
	}
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
		return make('ECONNECTION', `Unknown mailbox host: ${settings.host} could not be found`, { retryable: code === 'EAI_AGAIN', hint: 'Check IMAP Host in the Custom SMTP credential.' });
	}
	if (code === 'ECONNREFUSED') {
		return make('ECONNECTION', `Connection refused by the mailbox server ${where}`, { retryable: true, hint: 'Check IMAP Host, IMAP Port and IMAP Security (993 is SSL/TLS, 143 STARTTLS or none).' });
	}
	if (/TIMEOUT/i.test(code)) {
		return make('ETIMEDOUT', `Timed out talking to the mailbox server ${where}`, { retryable: true, hint: 'Check IMAP Host, IMAP Port and IMAP Security; a firewall may be dropping the connection.' });
	}
	if (/^ClosedAfterConnect|^NoConnection$|^ECONNRESET$|^EPIPE$|^ETIMEOUT$/.test(code)) {
		return make('ECONNECTION', `The connection to the mailbox server ${where} was lost (${failure.message})`, {
			retryable: true,
			hint: code === 'ClosedAfterConnectText' || code === 'ClosedAfterConnectTLS' ? 'The server closed the connection right away: check that IMAP Security matches the port.' : undefined,
		});
	}
	return make('EPROTOCOL', `IMAP error from ${where}: ${text || failure.message || String(error)}`, { retryable: false });
}

export function imapOptions(settings: MailboxSettings): ImapFlowOptions {
	return {
		host: settings.host,
		port: settings.port,
		secure: settings.security === 'tls',
		// false = never upgrade; true = must upgrade; for SSL/TLS the question does not arise.
		doSTARTTLS: settings.security === 'starttls' ? true : settings.security === 'none' ? false : undefined,
		auth: { user: settings.user, pass: settings.password },
		// Certificates are checked unless the credential says otherwise; pinned so no default loosens it.
		tls: { rejectUnauthorized: !settings.allowSelfSigned, servername: settings.host },
		logger: false,
		connectionTimeout: MAILBOX_LIMITS.connectMs,
		greetingTimeout: MAILBOX_LIMITS.greetingMs,
		socketTimeout: MAILBOX_LIMITS.socketMs,
		disableAutoIdle: true,
		emitLogs: false,
	} as ImapFlowOptions;
}

interface Candidate {
	folder: string;
	uid: number;
	receivedAt: Date;
}

interface ParsedReport {
	report: BounceReport;
	source: ReportSource;
}

export interface ResolvedFolders {
	scan: string[];
	sent?: string;
	/** Configured folders that the mailbox does not have (only the junk folder may be missing). */
	missing: string[];
}

/** Maps the configured folder names to the mailbox's folders, finding Junk and Sent by special use. */
export function resolveFolders(settings: Pick<MailboxSettings, 'folders' | 'sentFolder'>, list: Array<Pick<ListResponse, 'path' | 'specialUse' | 'flags'>>): ResolvedFolders {
	const byPath = (name: string) =>
		list.find((box) => box.path === name) ??
		list.find((box) => box.path.toLowerCase() === name.toLowerCase()) ??
		(name.toUpperCase() === 'INBOX' ? list.find((box) => box.specialUse === '\\Inbox') : undefined);
	const bySpecialUse = (use: string) => list.find((box) => box.specialUse === use || box.flags?.has(use));
	const scan: string[] = [];
	const missing: string[] = [];
	for (const name of settings.folders) {
		const found = byPath(name) ?? (JUNK_NAME.test(name) ? bySpecialUse('\\Junk') : undefined);
		if (found) {
			if (!scan.includes(found.path)) scan.push(found.path);
		} else {
			missing.push(name);
		}
	}
	let sent: string | undefined;
	if (settings.sentFolder) {
		sent = byPath(settings.sentFolder)?.path;
		if (!sent) missing.push(settings.sentFolder);
	} else {
		sent = bySpecialUse('\\Sent')?.path ?? SENT_NAMES.map(byPath).find(Boolean)?.path;
	}
	return { scan, sent, missing };
}

function structureHasReportPart(node: MessageStructureObject | undefined, depth = 0): boolean {
	if (!node || depth > 8) return false;
	if (REPORT_PART.test(node.type ?? '')) return true;
	if (/^multipart\/report$/i.test(node.type ?? '')) return true;
	return (node.childNodes ?? []).some((child) => structureHasReportPart(child, depth + 1));
}

/** Whether a message looks enough like a delivery report or complaint to download and parse it. */
export function looksLikeReport(message: Pick<FetchMessageObject, 'envelope' | 'headers' | 'bodyStructure'>): boolean {
	const from = message.envelope?.from?.[0];
	const local = String(from?.address ?? '').split('@')[0];
	if (REPORT_SENDER.test(local) || REPORT_SENDER_NAME.test(from?.name ?? '')) return true;
	if (REPORT_SUBJECT.test(message.envelope?.subject ?? '')) return true;
	if (structureHasReportPart(message.bodyStructure)) return true;
	const headers = message.headers ? message.headers.toString('latin1') : '';
	if (/^return-path:\s*<\s*>/im.test(headers)) return true;
	if (/^x-failed-recipients:/im.test(headers)) return true;
	if (/^content-type:\s*multipart\/report/im.test(headers)) return true;
	if (/^feedback-type:/im.test(headers)) return true;
	return false;
}

function startOfUtcDay(time: number): Date {
	const date = new Date(time);
	return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function bare(id: string): string {
	return id.trim().replace(/^<|>$/g, '');
}

/** Our own delivery id behind an envelope id or a Message-ID, if it is one of ours. */
export function ownDeliveryId(link: Pick<OriginalLink, 'method' | 'value'>): string | undefined {
	if (link.method === 'envelope-id') return OWN_ID.test(link.value.trim()) ? link.value.trim() : undefined;
	if (link.method === 'subject-recipient') return undefined;
	const local = bare(link.value).split('@')[0];
	return OWN_ID.test(local) ? local : undefined;
}

/** One IMAP connection for the length of a session; opened on first use, closed by close(). */
export class Mailbox {
	private client?: ImapFlow;
	private connecting?: Promise<ImapFlow>;

	constructor(
		readonly settings: MailboxSettings,
		private readonly createClient: (options: ImapFlowOptions) => ImapFlow = (options) => new ImapFlow(options),
	) {}

	/** Logs in and lists the folders: the credential test. */
	async verify(): Promise<ResolvedFolders> {
		const folders = await this.folders();
		if (!folders.scan.length || folders.missing.some((name) => !JUNK_NAME.test(name))) {
			throw this.missingFolders(folders, await this.folderNames());
		}
		return folders;
	}

	async listFailedDeliveries(query: FailedDeliveryQuery): Promise<FailedDelivery[]> {
		const folders = await this.folders();
		if (!folders.scan.length || folders.missing.some((name) => !JUNK_NAME.test(name))) {
			throw this.missingFolders(folders, await this.folderNames());
		}
		const candidates = await this.findCandidates(folders.scan, query);
		const reports = await this.parseNewestFirst(candidates, query);
		const resolver = this.resolver(folders.sent);
		const failures: FailedDelivery[] = [];
		try {
			for (const { report, source } of reports) {
				const found = await failuresFromReport(report, 'smtp', source, resolver.resolve);
				failures.push(...found.filter((failure) => matchesQuery(failure, query)));
			}
		} finally {
			await resolver.release();
		}
		// Newest report first; the order within a report stays as the report lists the recipients.
		const order = (failure: FailedDelivery) => Date.parse(String(failure.details?.reportReceivedAt ?? '')) || 0;
		failures.sort((a, b) => order(b) - order(a));
		return query.limit === undefined ? failures : failures.slice(0, query.limit);
	}

	/** The execution was cancelled: cut the connection; what runs on it fails. */
	abort(): void {
		this.client?.close();
		this.client = undefined;
	}

	async close(): Promise<void> {
		const client = this.client ?? (await this.connecting?.catch(() => undefined));
		this.client = undefined;
		this.connecting = undefined;
		if (!client) return;
		let timer: NodeJS.Timeout | undefined;
		try {
			await Promise.race([
				client.logout(),
				new Promise<void>((resolve) => {
					timer = setTimeout(resolve, MAILBOX_LIMITS.logoutMs);
				}),
			]);
		} catch {
			// Logging out of a broken connection fails; closing it below is all that is left to do.
		} finally {
			clearTimeout(timer);
			client.close();
		}
	}

	private async connection(): Promise<ImapFlow> {
		if (this.client?.usable) return this.client;
		if (!this.connecting) {
			const client = this.createClient(imapOptions(this.settings));
			// Without a listener an 'error' event would crash the process; the failing call rejects anyway.
			client.on('error', () => undefined);
			this.connecting = client
				.connect()
				.then(() => {
					this.client = client;
					return client;
				})
				.catch((error) => {
					client.close();
					throw toMailboxError(error, this.settings);
				})
				.finally(() => {
					this.connecting = undefined;
				});
		}
		return await this.connecting;
	}

	private async call<T>(task: (client: ImapFlow) => Promise<T>): Promise<T> {
		const client = await this.connection();
		try {
			return await task(client);
		} catch (error) {
			throw toMailboxError(error, this.settings);
		}
	}

	private async folders(): Promise<ResolvedFolders> {
		const list = await this.call((client) => client.list());
		return resolveFolders(this.settings, list);
	}

	private async folderNames(): Promise<string[]> {
		const list = await this.call((client) => client.list());
		return list.map((box) => box.path);
	}

	private missingFolders(folders: ResolvedFolders, available: string[]): DeliveryError {
		return credentialError(
			'imapFolders',
			`The mailbox has no folder ${folders.missing.map((name) => JSON.stringify(name)).join(', ') || 'to scan'}`,
			`Folders in this mailbox: ${available.slice(0, 40).join(', ')}. Correct IMAP Folders (or Sent Folder) in the Custom SMTP credential.`,
		);
	}

	/** The likely reports in the time window, newest first, at most MAILBOX_LIMITS.scanned looked at. */
	private async findCandidates(folders: string[], query: FailedDeliveryQuery): Promise<Candidate[]> {
		// A report arrives after the failure it reports, so nothing received before Since can match;
		// it may arrive well after Until, so the upper bound is loose. SINCE / BEFORE have day
		// granularity in the server's time zone: widen by a day, then filter exactly.
		const lower = [query.since, query.receivedSince].filter((date): date is Date => Boolean(date)).map((date) => date.getTime());
		const from = lower.length ? Math.max(...lower) : undefined;
		const search: Record<string, Date | boolean> = {};
		if (from !== undefined) search.since = startOfUtcDay(from - DAY_MS);
		// An upper bound in the future is no bound (and imapflow turns it into WITHIN's OLDER 0).
		const before = query.until ? startOfUtcDay(query.until.getTime() + 8 * DAY_MS) : undefined;
		if (before && before.getTime() < Date.now()) search.before = before;
		if (!Object.keys(search).length) search.all = true;

		const candidates: Candidate[] = [];
		let budget = MAILBOX_LIMITS.scanned;
		for (const folder of folders) {
			if (budget <= 0) break;
			await this.call(async (client) => {
				const lock = await client.getMailboxLock(folder, { readOnly: true });
				try {
					const found = await client.search(search, { uid: true });
					const uids = (found || []).sort((a, b) => b - a).slice(0, budget);
					budget -= uids.length;
					if (!uids.length) return;
					const messages = client.fetch(
						uids,
						{ uid: true, envelope: true, internalDate: true, bodyStructure: true, headers: ['return-path', 'x-failed-recipients', 'content-type', 'feedback-type'] },
						{ uid: true },
					);
					for await (const message of messages) {
						const receivedAt = new Date(message.internalDate ?? 0);
						if (from !== undefined && receivedAt.getTime() < from) continue;
						if (looksLikeReport(message)) candidates.push({ folder, uid: message.uid, receivedAt });
					}
				} finally {
					lock.release();
				}
			});
		}
		return candidates.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
	}

	/**
	 * Downloads and parses candidates newest first, in small batches, until enough failures match the
	 * query for the limit (linking them to sent messages comes later and does not change that).
	 */
	private async parseNewestFirst(candidates: Candidate[], query: FailedDeliveryQuery): Promise<ParsedReport[]> {
		const reports: ParsedReport[] = [];
		let matching = 0;
		const queue = candidates.slice(0, MAILBOX_LIMITS.parsed);
		const BATCH = 25;
		for (let start = 0; start < queue.length; start += BATCH) {
			if (query.limit !== undefined && matching >= query.limit) break;
			const batch = queue.slice(start, start + BATCH);
			const byFolder = new Map<string, Candidate[]>();
			for (const candidate of batch) byFolder.set(candidate.folder, [...(byFolder.get(candidate.folder) ?? []), candidate]);
			const parsed: ParsedReport[] = [];
			for (const [folder, entries] of byFolder) {
				const sources = await this.call(async (client) => {
					const lock = await client.getMailboxLock(folder, { readOnly: true });
					try {
						const raw = new Map<number, Buffer>();
						const fetched = client.fetch(entries.map((entry) => entry.uid), { uid: true, source: { maxLength: MAILBOX_LIMITS.reportBytes } }, { uid: true });
						for await (const message of fetched) if (message.source) raw.set(message.uid, message.source);
						return raw;
					} finally {
						lock.release();
					}
				});
				for (const entry of entries) {
					const source = sources.get(entry.uid);
					if (!source) continue;
					const report = await parseBounce(source);
					if (!report.failures.length) continue;
					parsed.push({ report, source: { receivedAt: entry.receivedAt.toISOString(), reportId: `${folder}/${entry.uid}`, details: { folder, uid: entry.uid } } });
				}
			}
			parsed.sort((a, b) => Date.parse(b.source.receivedAt!) - Date.parse(a.source.receivedAt!));
			for (const entry of parsed) {
				reports.push(entry);
				const unlinked = await failuresFromReport(entry.report, 'smtp', entry.source);
				matching += unlinked.filter((failure) => matchesQuery(failure, query)).length;
			}
		}
		return reports;
	}

	/** Finds the sent message for a link: in the Sent folder when there is one, else by our own ids. */
	private resolver(sentFolder: string | undefined): { resolve: SentMessageResolver; release: () => Promise<void> } {
		const cache = new Map<string, IDataObject | undefined>();
		let searches = 0;
		let lock: { release(): void } | undefined;
		const openSent = async (client: ImapFlow) => {
			lock ??= await client.getMailboxLock(sentFolder!, { readOnly: true });
		};
		const searchSent = async (criteria: Record<string, unknown>): Promise<IDataObject | undefined> => {
			if (!sentFolder || searches >= MAILBOX_LIMITS.sentSearches) return undefined;
			searches += 1;
			return await this.call(async (client) => {
				await openSent(client);
				const uids = await client.search(criteria, { uid: true });
				if (!uids || !uids.length) return undefined;
				const uid = Math.max(...uids);
				const message = await client.fetchOne(String(uid), { uid: true, envelope: true, internalDate: true, headers: ['x-delivery-id'] }, { uid: true });
				if (!message) return undefined;
				const deliveryId = /^x-delivery-id:\s*(\S+)/im.exec(message.headers?.toString('latin1') ?? '')?.[1];
				const found: IDataObject = {
					messageId: message.envelope?.messageId,
					subject: message.envelope?.subject,
					to: (message.envelope?.to ?? []).map((address) => address.address ?? '').filter(Boolean),
					sentAt: message.internalDate ? new Date(message.internalDate).toISOString() : undefined,
					sentFolder,
					sentUid: uid,
				};
				if (deliveryId) found.deliveryId = deliveryId;
				for (const key of Object.keys(found)) if (found[key] === undefined) delete found[key];
				return found;
			});
		};
		const resolve: SentMessageResolver = async (link) => {
			const key = `${link.method}\n${link.value}`;
			if (cache.has(key)) return cache.get(key);
			let found: IDataObject | undefined;
			const own = ownDeliveryId(link);
			if (link.method === 'envelope-id') {
				if (own) found = await searchSent({ header: { 'x-delivery-id': own } });
			} else if (link.method === 'subject-recipient') {
				const [recipient, ...subject] = link.value.split('\n');
				if (recipient && subject.join('\n')) found = await searchSent({ to: recipient, header: { subject: subject.join('\n') } });
			} else {
				found = await searchSent({ header: { 'message-id': bare(link.value) } });
			}
			// Not in Sent (or no Sent folder), but the id is one we gave out: that is our message.
			if (!found && own) found = link.method === 'envelope-id' ? { deliveryId: own } : { deliveryId: own, messageId: `<${bare(link.value)}>` };
			cache.set(key, found);
			return found;
		};
		const release = async () => {
			lock?.release();
			lock = undefined;
		};
		return { resolve, release };
	}
}
