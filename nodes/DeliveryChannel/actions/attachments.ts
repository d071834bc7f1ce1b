/** Reads the files an item attaches (its binary fields) for the Attachments option of Send. */
import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { inputError } from '../../../core/errors';
import type { OutgoingAttachment } from '../channels/types';
import { kindOf, show } from '../../../core/message/show';

interface AttachmentOption {
	binaryPropertyName?: unknown;
	inline?: boolean;
	contentId?: unknown;
}

/**
 * Finds an item's binary field. n8n 2.x may keep files under json._files (workflow setting
 * "binaryMode: combined") instead of item.binary; both are the user's "Input Binary Field".
 */
function findBinary(context: IExecuteFunctions, itemIndex: number, property: string) {
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
 * Reads each attached file's bytes and name. What the name and Content ID may hold is checked with
 * the rest of the message (composeChecked), so every channel gets the same rules.
 */
export async function readAttachments(
	context: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
): Promise<OutgoingAttachment[]> {
	const entries = ((options.attachments as IDataObject | undefined)?.attachment ??
		[]) as AttachmentOption[];
	const attachments: OutgoingAttachment[] = [];
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
		const content = await context.helpers.getBinaryDataBuffer(itemIndex, found.path);
		const inline = entry.inline === true;
		attachments.push({
			filename:
				typeof found.data.fileName === 'string' && found.data.fileName
					? found.data.fileName
					: property,
			contentType: found.data.mimeType || 'application/octet-stream',
			content,
			inline,
			contentId: inline ? settingText('Content ID', entry.contentId) || property : undefined,
		});
	}
	return attachments;
}
