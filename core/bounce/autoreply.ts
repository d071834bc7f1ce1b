/**
 * Auto-replies (vacation, out of office): RFC 3834 Auto-Submitted: auto-replied plus the
 * vendor headers and subject patterns in common use. Bounces also carry Auto-Submitted, so a
 * mail that looks like a delivery report is never an auto-reply.
 */
import type { MailView } from './mime';
import { anyOf } from './phrases';

/** How auto-replies start their subject, in English and the languages of common clients. */
const AUTOREPLY_PHRASES = [
	'auto(?:matic)?[ -]?(?:reply|response|antwort|risposta|respuesta|réponse)',
	'auto:',
	'out of (?:the )?office',
	'vacation',
	'away from (?:the )?office',
	'abwesenheit',
	'absence',
	'fuera de la oficina',
	'réponse automatique',
	'risposta automatica',
	'自動(?:応答|返信)',
	'i am (?:out|away)',
	"i'm (?:out|away)",
	'on (?:vacation|holiday|leave)',
].join('|');
const AUTOREPLY_SUBJECT = new RegExp(`^(?:${AUTOREPLY_PHRASES})`, 'i');
const BOUNCE_SENDER =
	/^(?:mailer-daemon|post_?master|microsoftexchange[0-9a-f]{32}|mail-daemon|maildaemon|mail delivery|bounce)/i;
/** English and the localised subjects of common servers (Exchange, Exim, Postfix templates). */
const BOUNCE_SUBJECT = new RegExp(
	[
		'undeliver',
		'undelivered',
		'delivery (?:status|failure|failed|notification|problem|report)',
		'returned mail',
		'mail delivery',
		'failure notice',
		'non[- ]?delivery',
		'could not be delivered',
		'bounce',
		'delivery has failed',
		'nondeliverable',
		'rejected',
		'warning: (?:could not|message)',
		'unzustellbar',
		'nicht zustellbar',
		'zustellung fehlgeschlagen',
		'non remis',
		'[ée]chec de (?:la )?remise',
		'non distribu',
		'no se puede entregar',
		'no entregado',
		'non recapitabile',
		'onbestelbaar',
		'kan inte levereras',
		'n[ãa]o (?:foi )?entregue',
		'non recapitato',
		'недоставленн',
		'не доставлено',
		'(?:配送|配信)(?:不能|失敗|エラー)',
	].join('|'),
	'i',
);

/** Header values of a message that is itself a bounce (used for one attached to a forward). */
export function hasBounceHeaders(fromHeader: string, subject: string): boolean {
	const from = fromHeader.trim().replace(/^"/, '');
	return (
		BOUNCE_SENDER.test(from) ||
		/<(?:mailer-daemon|post_?master)@/i.test(from) ||
		BOUNCE_SUBJECT.test(subject)
	);
}

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
	if (
		h.has('x-autoreply') ||
		h.has('x-autorespond') ||
		h.has('x-autoresponder') ||
		h.has('x-vacation')
	)
		return true;
	if (/vacation/i.test(h.get('x-apple-action') ?? '')) return true;
	if (/^auto[_-]?reply$/i.test((h.get('precedence') ?? '').trim())) return true;
	if (
		/^(?:oof|autoreply|all)$/i.test(h.get('x-auto-response-suppress') ?? '') &&
		/^(?:oof|autoreply)/i.test(h.get('x-ms-exchange-inbox-rules-loop') ?? '')
	)
		return true;
	if (AUTOREPLY_SUBJECT.test(view.subject.trim())) return true;
	// RFC 3834 3.3: an automatic response goes out with a null return path; with Precedence bulk or
	// junk (the older convention of responders) and no list headers, it answers one message.
	const precedence = (h.get('precedence') ?? '').trim();
	if (
		/^<\s{0,4}>$/.test((h.get('return-path') ?? '').trim()) &&
		/^(?:bulk|junk)$/i.test(precedence) &&
		!h.has('list-id') &&
		!h.has('list-unsubscribe')
	)
		return true;
	return false;
}

/**
 * What a challenge-response filter writes: it holds or acknowledges the message and asks the
 * sender to prove they are a person, or says they are on the recipient's list of allowed senders.
 * One phrase per line.
 */
const CHALLENGE = anyOf([
	/challenge[- ]response/,
	/(?:approved|allowed|guest|safe|trusted) senders? list/,
	/guest list/,
	/(?:confirm|verify|prove) (?:that )?you are (?:a )?(?:person|human|real person|not a (?:robot|spammer|machine))/,
	/one-time (?:automated )?(?:message|request|verification)/,
]);

/**
 * A challenge-response notice: written by a filtering service (not a mail server's daemon), its
 * text a challenge or an acknowledgement, and no SMTP refusal in it. Some are dressed as a DSN
 * (Action: failed); they are an automatic answer, not a failed delivery.
 */
export function isChallengeResponse(view: MailView, from: string, notice: string): boolean {
	const local = from.slice(0, from.indexOf('@') >>> 0);
	if (!from || BOUNCE_SENDER.test(local) || BOUNCE_SENDER.test(view.headers.get('from') ?? ''))
		return false;
	const text = notice.slice(0, 6000);
	return CHALLENGE.test(text) && !/(?:^|\n)\s{0,8}[45][0-5]\d[ -]/.test(text);
}

/** "Re:" in the languages mail clients write it. */
const REPLY_SUBJECT = /^\s{0,4}(?:re|aw|sv|antw|vs|rif|r)\s{0,2}(?:\[\d{1,4}\])?\s{0,2}:/i;

/**
 * A reply written by a person (it may quote a bounce it answers): a "Re:" subject, In-Reply-To or
 * References, a sender that is not a system mailbox, and none of the marks machines put on
 * reports (a report MIME type, Auto-Submitted, X-Failed-Recipients). Forwarded bounces ("Fwd:")
 * still count as reports.
 */
export function isHumanReply(view: MailView, from: string): boolean {
	if (!REPLY_SUBJECT.test(view.subject)) return false;
	const h = view.headers;
	if (!h.has('in-reply-to') && !h.has('references')) return false;
	if (view.reportType || view.deliveryStatus.length > 0 || view.contentType === 'multipart/report')
		return false;
	if (h.has('x-failed-recipients')) return false;
	const auto = (h.get('auto-submitted') ?? '').trim().toLowerCase();
	if (auto && auto !== 'no') return false;
	const local = from.slice(0, from.indexOf('@') >>> 0);
	return !BOUNCE_SENDER.test(local) && !BOUNCE_SENDER.test(h.get('from') ?? '');
}
