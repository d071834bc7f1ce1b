/**
 * Reason classification: structure first (the delivery status, the SMTP stage the refusal
 * answered), then the diagnostic's phrases (reasons/, the most specific), then the RFC 3463
 * enhanced status code, then generic words, then the SMTP reply code (status.ts).
 */
import { EXPIRED, GENERIC, SPECIFIC, firstMatch } from './reasons';
import type { Reason } from './reasons';
import { smtpCommandOf } from './stage';
import { DECISIVE_STATUS, REPLY_CODE_MAP, STATUS_MAP, subjectDetail } from './status';

export { REASONS } from './reasons';
export type { Reason } from './reasons';
export { smtpCommandOf } from './stage';

export interface ClassifyInput {
	status: string;
	replyCode: string;
	diagnostic: string;
	diagnosticType?: string;
	action?: string;
	command?: string;
	/** The words after the code in the DSN Status field ("5.2.1 (mailbox disabled)"), if any. */
	statusText?: string;
	/** The report was written by a content-filtering gateway in front of the mailbox server. */
	fromFilterGateway?: boolean;
}

/** What classify() reads of a report entry, worked out once. */
interface Facts {
	input: ClassifyInput;
	/** The diagnostic, capped, each address replaced by "<@>" so that local parts never read as phrases. */
	diag: string;
	/** subject.detail of the status code ("1.1"). */
	sub: string;
	command: string;
}

/** Postfix's directory answer, quoted whole by a gateway: "User unknown in local recipient table". */
const RECIPIENT_TABLE =
	/user unknown in (?:virtual|local) (?:mailbox |alias |recipient )?table|recipient address rejected: user unknown/i;

/** A mailbox that exists but is switched off. */
const DISABLED = /\b(?:disabled|inactive|suspended|deactivated)\b/i;

const ADDRESS = /[^\s<>()[\]"',;:]{1,64}@[^\s<>()[\]"',;:]{1,255}/g;

/**
 * "User unknown" is the directory's answer only when given to RCPT TO under an addressing code;
 * said at another stage or under another code it is a filter's or a policy's refusal.
 */
function userUnknownAt({ input, diag, sub, command }: Facts): Reason {
	// After the recipient was accepted (reply to DATA) it comes from a content filter. A gateway that
	// takes the whole message before asking the mailbox server passes that server's per-recipient
	// answer on after DATA ("... a@b: 550 5.1.1 ... User unknown in virtual mailbox table"): the
	// directory's answer, not a filter's.
	if (command === 'DATA' && !(sub === '1.1' && RECIPIENT_TABLE.test(diag))) return 'filtered';
	// Given in reply to MAIL FROM, "mailbox unavailable" is about the sender's address or domain.
	if (command === 'MAIL') return 'rejected';
	// X.7.x is a security or policy refusal: a bare "user unknown" under it is a filter's answer.
	// Words that say the address does not exist ("no such user", "does not exist") keep their reading.
	if (sub.startsWith('7.') && /\b(?:user unknown|unknown user)\b/i.test(diag)) return 'filtered';
	// "550 : User unknown" names no mailbox: the reply shape some carriers' MTAs (au/KDDI's among
	// them) give when the recipient's own filter refuses the sender. A real unknown user is named.
	if (/\b550 : user unknown\b/i.test(input.diagnostic.slice(0, 4000))) return 'filtered';
	// A filtering gateway that answers "unknown user" without an addressing status code (X.1.x)
	// reports its own refusal, not the mailbox server's directory.
	if (input.fromFilterGateway && !sub.startsWith('1.')) return 'filtered';
	// X.2.x speaks of a mailbox that exists (disabled, full, over a limit). Under it "user
	// unknown" is only the directory's answer when given to RCPT TO; otherwise it is a refusal.
	if ((sub.startsWith('2.') || sub.startsWith('3.')) && command !== 'RCPT') {
		return DISABLED.test(diag) || DISABLED.test(input.statusText ?? '') ? 'suspend' : 'filtered';
	}
	return 'userunknown';
}

/** A specific phrase's reason, corrected by what the codes and the stage say about it. */
function refine(reason: Reason, facts: Facts, expired: boolean): Reason {
	const { input } = facts;
	if (reason === 'userunknown') return userUnknownAt(facts);
	// A header or content problem refused under an RFC 3463 policy code (x.7.x) is a policy matter.
	if (reason === 'contenterror' && input.status[2] === '7' && input.status[3] === '.')
		return 'policyviolation';
	// A transient cause reported when the queue gave up: the message expired.
	if (expired && (reason === 'networkerror' || reason === 'systemerror')) return 'expired';
	// Given up for good on a temporary (4xx) network problem: the sender stopped retrying.
	if (reason === 'networkerror' && input.action === 'failed' && input.replyCode.startsWith('4'))
		return 'expired';
	return reason;
}

/** No specific phrase: the status code, generic words, then the reply code. */
function withoutPhrase({ input, diag, sub, command }: Facts, expired: boolean): Reason {
	if ((input.diagnosticType ?? '').toLowerCase() === 'x-unix') return 'mailererror';
	if (expired) return 'expired';
	// X.7.0 and X.7.1 are any refusal: generic words say more about it.
	const broadRefusal = sub === '7.1' || sub === '7.0';
	if (sub && STATUS_MAP[sub] && !broadRefusal) return STATUS_MAP[sub];
	const reason = firstMatch(GENERIC, diag);
	// Refused before any address was sent (at the greeting): the sending host is refused.
	if (command === 'CONN' && (!reason || reason === 'rejected' || reason === 'filtered'))
		return 'blocked';
	if (reason) return reason;
	if (broadRefusal) return 'blocked';
	if (Object.hasOwn(REPLY_CODE_MAP, input.replyCode)) return REPLY_CODE_MAP[input.replyCode];
	// Nothing decides: on hold while there is some text to go on, undefined without any.
	if (input.action === 'delayed') return 'onhold';
	return diag.trim() ? 'onhold' : 'undefined';
}

export function classify(input: ClassifyInput): Reason {
	// Addresses become one mark: a local part never reads as words, and "<addr> does not exist"
	// still says what does not exist.
	const diag = input.diagnostic.slice(0, 4000).replace(ADDRESS, ' <@> ');
	const sub = subjectDetail(input.status);
	if (input.status.startsWith('2.') || input.action === 'delivered') return 'delivered';
	if (DECISIVE_STATUS.has(sub)) return STATUS_MAP[sub];
	const facts: Facts = { input, diag, sub, command: input.command || smtpCommandOf(diag) };
	const expired = sub === '4.7' || EXPIRED.test(diag);
	const reason = firstMatch(SPECIFIC, diag);
	return reason ? refine(reason, facts, expired) : withoutPhrase(facts, expired);
}

/** Hard = the address itself is dead. */
export function isHard(reason: string, status: string, replyCode: string): boolean {
	if (reason === 'userunknown' || reason === 'hostunknown' || reason === 'hasmoved') return true;
	if (reason === 'notaccept') {
		if (status) return status.startsWith('5');
		return replyCode.startsWith('5') || !replyCode;
	}
	return false;
}
