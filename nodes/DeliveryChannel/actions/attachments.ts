/**
 * The files an item attaches (its binary fields) for the Attachments option of Send: found and
 * measured when the item is checked, read only right before its email goes out.
 */
import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { inputError } from '../../../core/errors';
import type { OutgoingAttachment } from '../channels/types';
import { kindOf, show } from '../../../core/message/show';

/**
 * An attached file before its bytes are read: its name, type, size and where the item keeps it.
 * The router checks every item before the first send; holding every item's bytes from then on
 * would keep all of a batch's files in memory (300 items of 1 MB: 300 MB) until the last is sent.
 */
export interface AttachmentSource extends Omit<OutgoingAttachment, 'content'> {
	size: number;
	/** The binary field, as getBinaryDataBuffer takes it (`_files.<name>` in combined mode). */
	path: string;
}

interface AttachmentOption {
	binaryPropertyName?: unknown;
	inline?: boolean;
	contentId?: unknown;
}

/**
 * Finds an item's binary field. n8n 2.x may keep files under json._files (workflow setting
 * "binaryMode: combined") instead of item.binary; both are the user's "Input Binary Field".
 */
export function findBinary(context: IExecuteFunctions, itemIndex: number, property: string) {
	const item = context.getInputData()[itemIndex];
	const direct = item?.binary?.[property];
	if (direct) return { data: direct, path: property };
	const files = (item?.json?._files ?? {}) as Record<string, IBinaryData | undefined>;
	const combined = files[property];
	if (combined && typeof combined === 'object' && 'mimeType' in combined)
		return { data: combined, path: `_files.${property}` };
	return { available: [...Object.keys(item?.binary ?? {}), ...Object.keys(files)] };
}

/** Text of an attachment setting; an expression giving a list or an object is a clear error. */
function settingText(label: string, value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string' || typeof value === 'number') return String(value).trim();
	throw inputError(
		'options.attachments',
		`${label} must be text, got ${kindOf(value)}: ${show(value)}`,
		'Enter the name of the binary field that holds the file, e.g. data.',
	);
}

/**
 * The size of a file n8n keeps, without reading it: n8n's own count, the length of in-memory
 * base64 data, or the stored file's metadata.
 */
async function sizeOf(context: IExecuteFunctions, data: IBinaryData): Promise<number> {
	if (data.id) {
		if (typeof data.bytes === 'number') return data.bytes;
		return (await context.helpers.getBinaryMetadata(data.id)).fileSize;
	}
	return Buffer.byteLength(data.data ?? '', 'base64');
}

/**
 * Finds and measures each attached file. What the name and Content ID may hold, and the total size,
 * are checked with the rest of the message, so every channel gets the same rules.
 */
export async function findAttachments(
	context: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
): Promise<AttachmentSource[]> {
	const entries = ((options.attachments as IDataObject | undefined)?.attachment ??
		[]) as AttachmentOption[];
	const attachments: AttachmentSource[] = [];
	for (const entry of entries) {
		const property = settingText('Input Binary Field', entry.binaryPropertyName);
		if (!property) {
			throw inputError(
				'options.attachments',
				'An attachment has an empty Input Binary Field',
				'Enter the name of the binary field that holds the file, e.g. data.',
			);
		}
		const found = findBinary(context, itemIndex, property);
		if (!('data' in found) || !found.data) {
			const available = found.available ?? [];
			throw inputError(
				'options.attachments',
				`The item has no binary field ${show(property)} to attach`,
				available.length
					? `Binary fields on this item: ${available.join(', ')}.`
					: 'This item has no binary data; add a node that reads or downloads the file before this one.',
			);
		}
		const inline = entry.inline === true;
		attachments.push({
			filename:
				typeof found.data.fileName === 'string' && found.data.fileName
					? found.data.fileName
					: property,
			contentType: found.data.mimeType || 'application/octet-stream',
			size: await sizeOf(context, found.data),
			path: found.path,
			inline,
			contentId: inline ? settingText('Content ID', entry.contentId) || property : undefined,
		});
	}
	return attachments;
}

/** Reads the files' bytes, right before the email goes out. */
export async function readAttachments(
	context: IExecuteFunctions,
	itemIndex: number,
	sources: AttachmentSource[],
): Promise<OutgoingAttachment[]> {
	const attachments: OutgoingAttachment[] = [];
	for (const { filename, contentType, path, inline, contentId } of sources) {
		const content = await context.helpers.getBinaryDataBuffer(itemIndex, path);
		attachments.push({ filename, contentType, content, inline, contentId });
	}
	return attachments;
}
