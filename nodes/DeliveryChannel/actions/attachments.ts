/** Reads the files an item attaches (its binary fields) for the Attachments option of Send. */
import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { inputError } from '../channels/errors';
import type { OutgoingAttachment } from '../channels/types';

interface AttachmentOption {
	binaryPropertyName?: string;
	inline?: boolean;
	contentId?: string;
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
	if (combined && typeof combined === 'object' && 'mimeType' in combined) return { data: combined, path: `_files.${property}` };
	return { available: [...Object.keys(item?.binary ?? {}), ...Object.keys(files)] };
}

export async function readAttachments(context: IExecuteFunctions, itemIndex: number, options: IDataObject): Promise<OutgoingAttachment[]> {
	const entries = ((options.attachments as IDataObject | undefined)?.attachment ?? []) as AttachmentOption[];
	const attachments: OutgoingAttachment[] = [];
	for (const entry of entries) {
		const property = String(entry.binaryPropertyName ?? '').trim();
		if (!property) {
			throw inputError('options.attachments', 'An attachment has an empty Input Binary Field', 'Enter the name of the binary field that holds the file, e.g. data.');
		}
		const found = findBinary(context, itemIndex, property);
		if (!('data' in found) || !found.data) {
			const available = found.available ?? [];
			throw inputError(
				'options.attachments',
				`The item has no binary field ${JSON.stringify(property)} to attach`,
				available.length ? `Binary fields on this item: ${available.join(', ')}.` : 'This item has no binary data; add a node that reads or downloads the file before this one.',
			);
		}
		const content = await context.helpers.getBinaryDataBuffer(itemIndex, found.path);
		const contentId = String(entry.contentId ?? '').trim() || property;
		if (entry.inline && /[\s<>"]/.test(contentId)) {
			throw inputError('options.attachments', `Content ID ${JSON.stringify(contentId)} may not contain spaces, quotes or angle brackets`);
		}
		attachments.push({
			filename: found.data.fileName ?? property,
			contentType: found.data.mimeType || 'application/octet-stream',
			content,
			inline: entry.inline === true,
			contentId: entry.inline ? contentId : undefined,
		});
	}
	return attachments;
}

