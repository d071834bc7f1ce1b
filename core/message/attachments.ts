/**
 * Attachments as the node sends them: names without folders or control characters, one Content ID
 * per inline image, and the total size within the limit the user set.
 */
import { inputError } from '../errors';
import type { OutgoingAttachment } from '../model';
import type { Field } from './headerFields';
import { controlCharacterIn, show } from './show';

const MAX_FILENAME_LENGTH = 255;

const ATTACHMENTS: Field = { field: 'options.attachments', label: 'Attachments' };

/** What is checked of an attachment: its name and placement, and its size (its bytes' or as given). */
type Checked = Pick<OutgoingAttachment, 'filename' | 'inline' | 'contentId'> &
	({ content: Buffer } | { size: number });

const sizeOf = (attachment: Checked) =>
	'size' in attachment ? attachment.size : attachment.content.length;

/** Folder parts of a file name (../../etc/passwd, C:\x\y.pdf) say nothing to the recipient. */
function baseName(filename: string): string {
	return filename.replace(/^.*[/\\]/, '').replace(/^[A-Za-z]:/, '');
}

/**
 * Names without folders, valid and distinct Content IDs. Works on attachments whose bytes are not
 * read yet (the node reads them right before each send).
 */
export function checkedAttachments<T extends Checked>(attachments: T[], warnings: string[]): T[] {
	const contentIds = new Set<string>();
	return attachments.map((attachment) => {
		const given = attachment.filename;
		const control = controlCharacterIn(given);
		if (control) {
			throw inputError(
				ATTACHMENTS.field,
				`Attachment file name contains ${control.what}: ${control.shown}`,
				'Rename the file in the node that reads or downloads it.',
			);
		}
		const filename = baseName(given).trim();
		if (!filename || filename === '.' || filename === '..') {
			throw inputError(
				ATTACHMENTS.field,
				`Attachment file name ${show(given)} has no name after its folders`,
				'Give the file a name in the node that reads or downloads it.',
			);
		}
		if (filename.length > MAX_FILENAME_LENGTH) {
			throw inputError(
				ATTACHMENTS.field,
				`Attachment file name is ${filename.length} characters long, ` +
					`over the limit of ${MAX_FILENAME_LENGTH}: ${show(filename)}`,
			);
		}
		if (filename !== given)
			warnings.push(
				`Attachment ${show(given)} is sent as ${show(filename)}: folder names are left out of attachment names.`,
			);
		if (!attachment.inline) return { ...attachment, filename };
		const contentId = attachment.contentId ?? '';
		if (!/^[\x21-\x7e]{1,250}$/.test(contentId) || /[<>"()\\,;:[\]]/.test(contentId)) {
			throw inputError(
				ATTACHMENTS.field,
				`Content ID ${show(contentId)} is not valid: use letters, digits, dots, dashes and @ only, ` +
					'without spaces, quotes or angle brackets',
				'Use an ID like logo or logo@example.com, and reference it in the HTML as src="cid:logo".',
			);
		}
		if (contentIds.has(contentId.toLowerCase())) {
			throw inputError(
				ATTACHMENTS.field,
				`Content ID ${show(contentId)} is used by two inline attachments`,
				'Give each inline attachment its own Content ID.',
			);
		}
		contentIds.add(contentId.toLowerCase());
		return { ...attachment, filename };
	});
}

/** Refuses attachments over `limit` bytes together (no limit when undefined), listing each file's size. */
export function checkAttachmentSize(attachments: Checked[], limit?: number): void {
	if (limit === undefined) return;
	const total = attachments.reduce((sum, attachment) => sum + sizeOf(attachment), 0);
	if (total > limit) {
		const sizes = attachments.map((a) => `${a.filename} (${formatBytes(sizeOf(a))})`);
		throw inputError(
			ATTACHMENTS.field,
			`Attachments are ${formatBytes(total)}, over the limit of ${formatBytes(limit)}: ${show(sizes.join(', '))}`,
			'Send smaller files, or raise Max Attachment Size (MB) if your server accepts larger messages.',
		);
	}
}

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
	return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
