/** Public result types of the bounce engine. */

export type ReportKind =
	'failure' | 'delay' | 'complaint' | 'autoreply' | 'delivered' | 'not-a-report';

export type RecipientAction =
	'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded' | 'complaint' | 'autoreply';

export interface BounceRecipient {
	recipient: string;
	action: RecipientAction;
	/** RFC 3463 enhanced status code such as '5.1.1', '' when unknown. */
	status: string;
	/** SMTP reply code such as '550', '' when unknown. */
	replyCode: string;
	/** Reason from the fixed vocabulary (REASONS in reasons/index.ts). */
	reason: string;
	/** True when the address itself is dead. */
	hard: boolean;
	diagnostic: string;
	remoteMta?: string;
	reportingMta?: string;
	/** ISO 8601 */
	failedAt?: string;
	feedbackType?: string;
}

export type LinkMethod =
	| 'envelope-id'
	| 'message-id'
	| 'x-original-message-id'
	| 'in-reply-to'
	| 'references'
	| 'subject-recipient';

export type LinkConfidence = 'high' | 'medium' | 'low';

export interface OriginalLink {
	method: LinkMethod;
	value: string;
	confidence: LinkConfidence;
}

export interface OriginalMessage {
	messageId?: string;
	envelopeId?: string;
	subject?: string;
	recipients: string[];
	from?: string;
	date?: string;
	inReplyTo?: string;
	references?: string[];
	links: OriginalLink[];
}

/** What an automatic answer is about (core/bounce/answer.ts). */
export type AutoReplyKind = 'out-of-office' | 'moved' | 'auto-acknowledgement' | 'other';

/**
 * A mail that answers a message and is no delivery report: a person's reply or an automatic one.
 * Never a failure; read beside the report's kind, which keeps the bounce vocabulary.
 */
export interface MailAnswer {
	kind: 'reply' | 'autoreply';
	/** Only for kind 'autoreply'. */
	autoReplyKind?: AutoReplyKind;
	/** Who answered (the answer's From). */
	from: string;
	/** Where a moved notice says to write instead, when its text names one address for it. */
	newAddress?: string;
	subject: string;
	/** The start of the new text (not the quoted message), squashed, at most 300 characters. */
	excerpt: string;
	/** The answer's Date header (ISO 8601). */
	date?: string;
	/** The answer's own Message-ID. */
	messageId?: string;
	/** The message answered: In-Reply-To, References (newest first), then subject and sender. */
	links: OriginalLink[];
}

export interface BounceReport {
	kind: ReportKind;
	failures: BounceRecipient[];
	original: OriginalMessage;
	reportingMta?: string;
	arrivalDate?: string;
	problems?: string[];
	/**
	 * True when a cap left part of the mail unread (MAX_REPORT_BYTES for the whole input, the
	 * per-mail and per-part caps of mime.ts, MAX_MBOX_MESSAGES): recipients named only after the
	 * cut are missing. `problems` says which cap.
	 */
	truncated?: boolean;
	/** Set when the mail answers a message instead of reporting on its delivery (answer.ts). */
	answer?: MailAnswer;
}

/** One recipient as found by a parser, before classification. */
export interface RawRecipient {
	recipient: string;
	action?: RecipientAction;
	status?: string;
	/** Words after the code in the Status field, e.g. "(mailbox disabled, not accepting messages)". */
	statusText?: string;
	replyCode?: string;
	diagnostic: string;
	/** Diagnostic type such as 'smtp' or 'x-unix' from a Diagnostic-Code field. */
	diagnosticType?: string;
	remoteMta?: string;
	reportingMta?: string;
	failedAt?: string;
	originalRecipient?: string;
	/** SMTP command the remote host rejected (RCPT, DATA, MAIL, CONN). */
	command?: string;
}
