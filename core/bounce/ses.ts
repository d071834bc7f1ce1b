/** Amazon SES notifications delivered by mail (SNS email subscriptions carry the JSON). */
import type { RawRecipient } from './types';
import { cleanAddress, isoDate, typedValue } from './util';

export interface SesResult {
	type: 'bounce' | 'complaint' | 'delivery';
	recipients: RawRecipient[];
	feedbackType?: string;
	messageId?: string;
	subject?: string;
	reportingMta?: string;
}

interface Json {
	[key: string]: unknown;
}

function obj(v: unknown): Json {
	return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
function arr(v: unknown): unknown[] {
	return Array.isArray(v) ? v.slice(0, 500) : [];
}
function str(v: unknown): string {
	return typeof v === 'string' ? v : '';
}

/** JSON.parse of a body whose long lines a mail system may have folded ("\n " inserted). */
function parseFolded(json: string): Json | undefined {
	for (const unfolded of [json.replace(/\r?\n /g, ''), json.replace(/\r?\n/g, '')]) {
		try {
			return obj(JSON.parse(unfolded));
		} catch {
			// try the next way of unfolding
		}
	}
	return undefined;
}

/** The SES event in a mail: bare, or as the "Message" string of an SNS notification envelope. */
function sesEvent(head: string): Json | undefined {
	const sns = head.search(/\{\s{0,5}"Type"\s{0,5}:\s{0,5}"Notification"/);
	const end = head.lastIndexOf('}');
	if (sns >= 0 && end > sns) {
		const envelope = parseFolded(head.slice(sns, end + 1));
		const message = envelope && str(envelope.Message);
		if (message) {
			try {
				return obj(JSON.parse(message));
			} catch {
				return undefined;
			}
		}
	}
	const start = head.search(/\{\s{0,5}"(?:notificationType|eventType)"/);
	if (start < 0 || end <= start) return undefined;
	return parseFolded(head.slice(start, end + 1));
}

export function parseSes(text: string): SesResult | undefined {
	const data = sesEvent(text.slice(0, 128 * 1024));
	if (!data) return undefined;
	const kind = str(data.notificationType || data.eventType).toLowerCase();
	const mail = obj(data.mail);
	const common = obj(mail.commonHeaders);
	const result: SesResult = {
		type: 'bounce',
		recipients: [],
		messageId: str(common.messageId) || undefined,
		subject: str(common.subject) || undefined,
	};
	if (kind === 'bounce') {
		const bounce = obj(data.bounce);
		const permanent = str(bounce.bounceType).toLowerCase() === 'permanent';
		result.reportingMta = typedValue(str(bounce.reportingMTA)).value || undefined;
		for (const r of arr(bounce.bouncedRecipients)) {
			const o = obj(r);
			const d = typedValue(str(o.diagnosticCode));
			const action = str(o.action).toLowerCase();
			result.recipients.push({
				recipient: cleanAddress(str(o.emailAddress)),
				action: action === 'delayed' || (!action && !permanent) ? 'delayed' : 'failed',
				status: str(o.status),
				diagnostic: d.value || `${str(bounce.bounceType)} ${str(bounce.bounceSubType)}`.trim(),
				diagnosticType: d.type,
				failedAt: isoDate(str(bounce.timestamp)),
				reportingMta: result.reportingMta,
			});
		}
	} else if (kind === 'complaint') {
		const complaint = obj(data.complaint);
		result.type = 'complaint';
		result.feedbackType = str(complaint.complaintFeedbackType) || 'abuse';
		for (const r of arr(complaint.complainedRecipients)) {
			result.recipients.push({ recipient: cleanAddress(str(obj(r).emailAddress)), diagnostic: '' });
		}
	} else if (kind === 'delivery') {
		const delivery = obj(data.delivery);
		result.type = 'delivery';
		result.reportingMta = str(delivery.reportingMTA) || undefined;
		const smtp = str(delivery.smtpResponse);
		for (const r of arr(delivery.recipients)) {
			result.recipients.push({
				recipient: cleanAddress(str(r)),
				action: 'delivered',
				diagnostic: smtp,
				failedAt: isoDate(str(delivery.timestamp)),
			});
		}
	} else {
		return undefined;
	}
	result.recipients = result.recipients.filter((r) => r.recipient);
	return result;
}
