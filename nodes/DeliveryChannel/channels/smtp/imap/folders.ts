/** Which of the mailbox's folders hold the reports and the sent messages, by name or special use. */
import type { ListResponse } from 'imapflow';

import type { DeliveryError } from '../../../../../core/errors';
import { credentialError, type MailboxSettings } from './settings';

export const JUNK_NAME = /^(?:junk|spam|junk e-?mail|bulk(?: mail)?|junk mail)$/i;
const SENT_NAMES = ['Sent', 'Sent Items', 'Sent Messages', 'Sent Mail', 'INBOX/Sent', 'INBOX.Sent'];

export interface ResolvedFolders {
	scan: string[];
	sent?: string;
	/** Configured folders that the mailbox does not have (only the junk folder may be missing). */
	missing: string[];
}

/** Maps the configured folder names to the mailbox's folders, finding Junk and Sent by special use. */
export function resolveFolders(
	settings: Pick<MailboxSettings, 'folders' | 'sentFolder'>,
	list: Array<Pick<ListResponse, 'path' | 'specialUse' | 'flags'>>,
): ResolvedFolders {
	const byPath = (name: string) =>
		list.find((box) => box.path === name) ??
		list.find((box) => box.path.toLowerCase() === name.toLowerCase()) ??
		(name.toUpperCase() === 'INBOX' ? list.find((box) => box.specialUse === '\\Inbox') : undefined);
	const bySpecialUse = (use: string) =>
		list.find((box) => box.specialUse === use || box.flags?.has(use));
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

/** Only a missing junk folder is fine: many mailboxes have none. */
export function foldersUsable(folders: ResolvedFolders): boolean {
	return folders.scan.length > 0 && !folders.missing.some((name) => !JUNK_NAME.test(name));
}

export function missingFolders(folders: ResolvedFolders, available: string[]): DeliveryError {
	return credentialError(
		'imapFolders',
		`The mailbox has no folder ${folders.missing.map((name) => JSON.stringify(name)).join(', ') || 'to scan'}`,
		`Folders in this mailbox: ${available.slice(0, 40).join(', ')}. Correct IMAP Folders (or Sent Folder) in the Custom SMTP credential.`,
	);
}
