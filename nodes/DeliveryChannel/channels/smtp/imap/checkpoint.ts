/**
 * Where a mailbox listing stopped, per folder: the folder's UIDVALIDITY and the last UID that was
 * dealt with. UIDs only grow within one UIDVALIDITY, so the next listing asks the server for
 * `lastUid+1:*` and reads only what arrived since. JSON-safe and small: the trigger keeps it in the
 * workflow's static data.
 */
import type { IDataObject } from 'n8n-workflow';

export interface FolderMark {
	/** The folder's UIDVALIDITY, as a string (imapflow gives a BigInt). */
	uidValidity: string;
	/** Every message up to this UID was read or did not matter. */
	lastUid: number;
}

export interface MailboxCheckpoint {
	/** Which mailbox the marks belong to (user, host and port): another mailbox starts afresh. */
	mailbox: string;
	folders: Record<string, FolderMark>;
}

const KIND = 'imap';

function isMark(value: unknown): value is FolderMark {
	const mark = value as FolderMark | undefined;
	return (
		Boolean(mark) &&
		typeof mark!.uidValidity === 'string' &&
		/^\d+$/.test(mark!.uidValidity) &&
		Number.isSafeInteger(mark!.lastUid) &&
		mark!.lastUid >= 0
	);
}

/** The marks of a checkpoint given back by the caller; anything unreadable or foreign counts as none. */
export function readCheckpoint(value: IDataObject | undefined, mailbox: string): MailboxCheckpoint {
	const empty = { mailbox, folders: {} };
	if (
		!value ||
		value.kind !== KIND ||
		value.mailbox !== mailbox ||
		typeof value.folders !== 'object' ||
		value.folders === null
	)
		return empty;
	const folders: Record<string, FolderMark> = {};
	for (const [folder, mark] of Object.entries(value.folders as IDataObject)) {
		if (isMark(mark)) folders[folder] = { uidValidity: mark.uidValidity, lastUid: mark.lastUid };
	}
	return { mailbox, folders };
}

export function checkpointValue(checkpoint: MailboxCheckpoint): IDataObject {
	return {
		kind: KIND,
		mailbox: checkpoint.mailbox,
		folders: checkpoint.folders as unknown as IDataObject,
	};
}
