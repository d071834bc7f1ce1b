/**
 * The SMTP stage a refusal answered: 'DATA', 'RCPT', 'MAIL', 'CONN' (the greeting), or '' when
 * the text does not tell. The same words mean different things at different stages: "user unknown"
 * after the message data was sent comes from a content filter, not from the directory.
 * Exim names a command sent in a pipelined group "after pipelined RCPT TO:<...>"; qmail says
 * "failed after I sent the message", "does not like recipient", "sender was rejected" and
 * "greeting failed"; the DragonFly Mail Agent "did not like our MAIL FROM" (RCPT TO, final DATA).
 * One phrase per line, matched without regard to case.
 */
import { anyOf } from './phrases';

const AFTER_DATA = anyOf([
	/after (?:pipelined )?end of data/,
	/failed after i sent the message/,
	/end of data command/,
	/in reply to (?:end of )?data/,
	/final data/,
	/smtp command:? data/,
	/after data\b/,
	/\[data\]/,
]);

const AFTER_RCPT = anyOf([
	/after (?:pipelined )?rcpt(?: to|\b command)/,
	/did not like our rcpt to/,
	/does not like recipient/,
	/in reply to rcpt to/,
	/rcpt to command/,
	/after recipient/,
	/\[rcpt_to\]/,
	/\bsmtp:rcpt\b/,
]);

const AFTER_MAIL = anyOf([
	/after (?:pipelined )?mail from/,
	/did not like our mail from/,
	/but sender was rejected/,
	/in reply to mail from/,
	/mail from command/,
]);

const AFTER_CONNECT = anyOf([
	/after initial connection/,
	/in reply to (?:the )?(?:initial )?(?:greeting|banner|connect)/,
	/(?:smtp )?greeting (?:failure|failed|rejected)/,
	/after connect(?:ing)?\b/,
	/did not like our (?:connect|ehlo|helo)\b/,
]);

/**
 * SMTP command the remote server was answering when it gave the error. Reads phrases (Exim
 * "after RCPT TO", Postfix "in reply to end of DATA command"). Sendmail transcripts (">>> DATA"
 * then "<<< 550") are not used: with pipelining the reply to an earlier RCPT arrives after DATA.
 */
export function smtpCommandOf(text: string): string {
	const t = text.length > 8000 ? text.slice(0, 8000) : text;
	if (AFTER_DATA.test(t)) return 'DATA';
	if (AFTER_RCPT.test(t)) return 'RCPT';
	if (AFTER_MAIL.test(t)) return 'MAIL';
	if (AFTER_CONNECT.test(t)) return 'CONN';
	return '';
}
