/**
 * Auto-replies (vacation, out of office): RFC 3834 Auto-Submitted: auto-replied plus the
 * vendor headers and subject patterns in common use. Bounces also carry Auto-Submitted, so a
 * mail that looks like a delivery report is never an auto-reply.
 */
import type { MailView } from './mime';

const AUTOREPLY_SUBJECT =
	/^(?:auto(?:matic)?[ -]?(?:reply|response|antwort|risposta|respuesta|réponse)|auto:|out of (?:the )?office|vacation|away from (?:the )?office|abwesenheit|absence|fuera de la oficina|réponse automatique|risposta automatica|自動(?:応答|返信)|i am (?:out|away)|i'm (?:out|away)|on (?:vacation|holiday|leave))/i;
const BOUNCE_SENDER = /^(?:mailer-daemon|postmaster|mail-daemon|maildaemon|mail delivery|bounce)/i;
const BOUNCE_SUBJECT =
	/undeliver|undelivered|delivery (?:status|failure|failed|notification|problem|report)|returned mail|mail delivery|failure notice|non[- ]?delivery|could not be delivered|bounce|delivery has failed|nondeliverable|rejected|warning: (?:could not|message)/i;

export function isBounceLike(view: MailView, from: string): boolean {
	const local = from.slice(0, from.indexOf('@') >>> 0);
	if (BOUNCE_SENDER.test(local) || BOUNCE_SENDER.test(view.headers.get('from') ?? '')) return true;
	if (BOUNCE_SUBJECT.test(view.subject)) return true;
	if (view.reportType === 'delivery-status' || view.deliveryStatus.length > 0) return true;
	if (view.headers.has('x-failed-recipients')) return true;
	return false;
}

/** True when the mail is an auto-reply (and not a bounce or a complaint). */
export function isAutoReply(view: MailView, from: string): boolean {
	if (isBounceLike(view, from)) return false;
	const h = view.headers;
	const auto = (h.get('auto-submitted') ?? '').toLowerCase();
	if (auto.startsWith('auto-replied')) return true;
	if (h.has('x-autoreply') || h.has('x-autorespond') || h.has('x-autoresponder') || h.has('x-vacation')) return true;
	if (/vacation/i.test(h.get('x-apple-action') ?? '')) return true;
	if (/^auto[_-]?reply$/i.test((h.get('precedence') ?? '').trim())) return true;
	if (/^(?:oof|autoreply|all)$/i.test(h.get('x-auto-response-suppress') ?? '') && /^(?:oof|autoreply)/i.test(h.get('x-ms-exchange-inbox-rules-loop') ?? '')) return true;
	if (AUTOREPLY_SUBJECT.test(view.subject.trim())) return true;
	return false;
}
