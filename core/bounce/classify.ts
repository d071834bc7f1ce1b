/**
 * Reason classification: diagnostic phrases first (they are the most specific), then the
 * RFC 3463 enhanced status code, then the SMTP reply code.
 */

export const REASONS = [
	'userunknown',
	'hostunknown',
	'hasmoved',
	'mailboxfull',
	'filtered',
	'rejected',
	'blocked',
	'expired',
	'suspend',
	'policyviolation',
	'requireptr',
	'spamdetected',
	'systemerror',
	'notaccept',
	'securityerror',
	'mailererror',
	'norelaying',
	'onhold',
	'toomanyconn',
	'notcompliantrfc',
	'exceedlimit',
	'mesgtoobig',
	'badreputation',
	'contenterror',
	'virusdetected',
	'syntaxerror',
	'speeding',
	'failedstarttls',
	'systemfull',
	'networkerror',
	'authfailure',
	'undefined',
	'feedback',
	'vacation',
	'delivered',
] as const;

export type Reason = (typeof REASONS)[number];

/**
 * Specific phrases, checked in order before anything else; the first match wins.
 * Patterns are plain, linear regexes over a capped diagnostic with addresses removed.
 */
const STRONG: Array<[Reason, RegExp]> = [
	[
		'authfailure',
		/\b(?:dmarc|spf|dkim)\b.{0,80}\b(?:fail|failed|failure|reject|verification|policy|check|not pass|does not pass)|unauthenticated (?:email|mail)|(?:sender|message) (?:failed|fails) (?:authentication|spf|dkim|dmarc)|\bsender policy framework\b|not authenticated by (?:spf|dkim)|authentication checks? (?:failed|did not pass)|does not have authentication information/i,
	],
	[
		'requireptr',
		/reverse dns|reverse (?:dns )?lookup|\bptr\b(?: record)?|\brdns\b|no reverse|cannot find your hostname|can't find your hostname|client host .{0,60}(?:unknown|name lookup failed)|hostname (?:lookup|does not resolve)|does not have a? ?(?:valid )?reverse|ip name lookup failed|without a valid sender domain|reverse (?:mapping|resolution)|mismatch(?:es)? client ip|unverif(?:y|i)able (?:sending |client )?ips?\b/i,
	],
	['virusdetected', /(?<![\w-])virus(?![\w-])|malware|infected|\btrojan\b|malicious (?:content|attachment|payload)/i],
	[
		'failedstarttls',
		/starttls|tls (?:is )?(?:required|negotiation failed|handshake)|encryption required|requires? (?:a )?secure connection|(?:does not|doesn'?t|did not) (?:support|offer) (?:tls|ssl)/i,
	],
	[
		'notcompliantrfc',
		/rfc ?(?:2822|5322|5321)|not rfc ?822 compliant|not (?:rfc|standards?)[ -]compliant|multiple (?:from|to|subject|date|message-id) headers|multiple .{0,30}addresses in from|duplicate (?:header|headers)|header (?:is )?(?:malformed|not compliant)|not compliant with/i,
	],
	[
		'mailboxfull',
		/mailbox (?:is |was )?(?:full|over ?quota)|mail ?box full|over ?quota|quota (?:exceeded|exceed|full|violation)|exceeded (?:the )?(?:storage|quota|mailbox|disk)|(?:storage|disk|mailbox) (?:quota|allocation|space) (?:exceeded|full)|insufficient (?:disk )?(?:space|storage) (?:for|in) (?:the )?(?:user|mailbox|recipient)|mailbox (?:size|storage) (?:limit )?exceeded|mailbox has exceeded|mailbox exceeds (?:the |its )?(?:allowed |maximum |max )?(?:size|quota|limit)|user(?:'s)? (?:mailbox|disk) (?:is )?full|full mailbox|recipient(?:'s)? mailbox (?:is )?full|messages in (?:the )?recipient'?s? mailbox exceeded|mailbox .{0,40} is full|as their mailbox is full|(?:will|would) exceed (?:the |your |its |their )?(?:storage |mailbox |disk )?quota|maildir (?:over|exceeds)|inbox is out of (?:storage|space)|postfach[^.\n]{0,30}(?:voll|überfüllt|überschritten)|bo[iî]te (?:aux lettres|de r[ée]ception)[^.\n]{0,40}pleine|buz[óo]n[^.\n]{0,30}lleno|caixa (?:postal|de (?:correio|entrada))[^.\n]{0,30}(?:cheia|lotada)|casella[^.\n]{0,30}piena|(?:mailbox|postvak) (?:is )?vol\b|ящик[^.\n]{0,30}переполнен|превышен[а-я]{0,3} квот|メールボックスが(?:いっぱい|満杯)|容量(?:を|が)?(?:超過|オーバー)/i,
	],
	[
		'mailererror',
		/mailer error|command output|\bprocmail\b|unknown mailer|exit (?:code|status) \d|returned exit|pipe to \S|command died|program exited/i,
	],
	['hasmoved', /has moved|address (?:has )?changed|no longer (?:at|with) this address|user has moved|new (?:e-?mail )?address is/i],
	[
		'exceedlimit',
		/message length exceeds|length exceeds (?:the )?limit|limit set by recipient|exceed(?:s|ed)? (?:the )?(?:recipient|receiving) limit|exceeds? (?:the )?(?:administrative|local) limit/i,
	],
	[
		'mesgtoobig',
		/message (?:is )?too (?:big|large)|message size (?:exceeds|too large)|(?:size|length) (?:of (?:the )?message )?exceeds? (?:the )?(?:fixed |maximum |max )|exceeds (?:the )?(?:maximum|max)(?:imum)? (?:allowed )?(?:message )?size|mail too large|too much mail data|message (?:was )?larger than|message file too big|exceeded (?:the )?(?:maximum|max) (?:message )?size|line limit exceeded|(?:mail|message|email) size (?:limit )?exceeded|size limit exceeded|exceeded (?:the )?(?:mail ?|message ?)size limit/i,
	],
	[
		'rejected',
		/sender (?:address )?(?:rejected|refused|denied|is not allowed|unknown|invalid|verify failed)|sender was rejected|domain of sender|sender domain .{0,40}(?:not|invalid|unknown|exist)|(?:envelope sender|return[- ]path|from address) .{0,60}(?:rejected|invalid|refused|not allowed)|bad sender|invalid sender|unknown sender|from:? domain (?:is )?(?:invalid|not valid)|provide a valid from|purported responsible address|not allowed to post|permission to post|(?:from|sender|sending (?:to\/)?from an?) address (?:that )?(?:has been|is) (?:blacklisted|blocklisted|blocked)|don'?t have permission|does not have permission|resolver\.rst\.(?:notauthorized|restricted)|permission to send to (?:this|the) (?:group|distribution list)/i,
	],
	// The recipient blocked this sender on a personal list ("Envelope blocked - User Entry").
	['filtered', /blocked - user entry|recipient has blocked|(?:sender|you) (?:is |are |has been |have been )?blocked by (?:the )?recipient|personal block ?list/i],
	[
		'suspend',
		/(?:account|mailbox|user|address|recipient) (?:is |has been |was )?(?:disabled|suspended|deactivated|inactive|frozen|closed|expired|not active|temporarily (?:disabled|locked|unavailable))|(?:disabled|suspended|inactive|deactivated|frozen) (?:account|mailbox|user)|temporar(?:y|ily) locked|account (?:that you tried to reach )?is disabled|has been disabled|discontinued|no longer (?:active|in use)|account (?:has been )?(?:terminated|removed|canceled|cancelled)|mailbox (?:is )?unavailable due to inactivity|user (?:is )?not active|not currently active|account is blocked/i,
	],
	[
		'notaccept',
		/does not accept (?:e-?)?mail|not accepting (?:e-?)?mail|accepts? no mail|null mx|no smtp service|indicated no smtp|domain does not receive|doesn'?t receive (?:e-?)?mail|does not receive (?:e-?)?mail|host does not accept|mail is not accepted|no mx (?:record )?found|(?:couldn'?t|could not|cannot|can't) find a mail exchanger/i,
	],
	['networkerror', /dns error|temporary (?:dns|lookup) failure|not found, try again|name server timeout|too many hops|mail loop|routing loop|loops? (?:back|detected)|hop count/i],
	[
		'hostunknown',
		/host (?:or domain name )?(?:not found|unknown)|unknown host|(?:account|address) or domain may not exist|domain (?:name )?(?:not found|does not exist|unknown|is not reachable)|no such domain|unrouteable (?:mail )?domain|unknown domain|name service error|host not found|(?:couldn'?t|could not|cannot|can't) find any host|no (?:mx|mail exchanger|dns|a) (?:or a )?records? for|no mx for|invalid domain|domain (?:is )?(?:not valid|invalid)|non-?existent (?:domain|host)|no such host|unable to resolve|recipient domain .{0,40}not (?:found|exist)|domain lookup failed|\bnxdomain\b|address resolution failed|illegal host(?:\/domain)? ?name|no route (?:found )?to (?:the )?domain|\bhost [a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8} not found|(?:destination (?:server|host)|domain)[^.\n]{0,40} could not be found in (?:the )?(?:domain name service|dns)|bad destination host|\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6} does not exist/i,
	],
	[
		'userunknown',
		/user(?:name)? (?:is )?unknown|unknown (?:user|recipient|mailbox|local[ -]?part|account|address|e-?mail)|no such (?:user|mailbox|recipient|account|address|local user|person)|(?:user|recipient|mailbox|account|address|addressee|local part|e-?mail(?: address)?|destination) (?:does not|doesn'?t|did not) exist|(?:user|recipient|mailbox|account|address|addressee) (?:was |is )?not (?:found|known|exist|valid|listed|recognized|recognised)|(?:invalid|bad|unknown|non-?existent) (?:recipient|user|mailbox|address|e-?mail address|destination mailbox|account)|recipient (?:address )?rejected: (?:user|unknown|undeliverable|invalid|mailbox|no such|account)|recipnotfound|recipient not found|recipient address rejected(?::\s?access denied\b|\.(?!\S))|account (?:that )?you tried to reach (?:does not|doesn'?t) exist|(?:address|account|mailbox) (?:that )?you (?:sent (?:\w{1,20} )?to|wrote to|mailed) (?:does not|doesn'?t|did not) exist|not listed in|name is not recognized|is not a valid (?:mailbox|user|recipient|address)|mailbox (?:not found|unavailable|not available|does not exist|is unavailable)|doesn'?t have an? .{1,60} account|no mailbox|unrouteable address|address (?:unknown|not found)|no account|account does not exist|mailbox name not allowed|(?:user|address|recipient|mailbox) (?:lookup|verification) (?:failed|error)|no valid recipients|recipient (?:is )?(?:unknown|invalid)|user doesn'?t exist|this user doesn'?t|not a known user|mailbox .{0,50} (?:does not|doesn'?t) exist|no recipient|(?:empfänger|benutzer|adresse|postfach) (?:ist )?(?:unbekannt|existiert nicht|nicht gefunden|nicht vorhanden)|unbekannte[rn]? (?:empfänger|benutzer)|(?:utilisateur|destinataire) inconnu|adresse (?:e-?mail )?inconnue|(?:utilisateur|destinataire|adresse|compte)[^.\n]{0,20}n'existe pas|(?:usuario|destinatario|usu[áa]rio|destinat[áa]rio) (?:no existe|n[ãa]o existe|desconocido|desconhecido|inexistente)|(?:direcci[óo]n|cuenta|buz[óo]n|endere[çc]o|conta) (?:de (?:correo|e-?mail) )?(?:no existe|n[ãa]o existe|inexistente)|(?:utente|destinatario|indirizzo) (?:sconosciuto|inesistente|non esiste)|casella(?: di posta)? (?:non esiste|inesistente)|onbekende (?:ontvanger|gebruiker)|(?:ontvanger|gebruiker|e-?mailadres|adres) (?:is )?(?:onbekend|bestaat niet)|пользовател[ья] не (?:найден|существует)|адрес(?:ат)? не (?:найден|существует)|ящик[^.\n]{0,20}не существует|нет такого пользователя|(?:アドレス|ユーザー?)が(?:見つかりません|存在しません)|ユーザー?不明|宛先不明/i,
	],
	// A refusal that names the sender's low standing ("very low reputation of the sending domain")
	// is about reputation, even when it adds that this protects users from spam.
	['badreputation', /\b(?:low|poor|bad|negative)(?: sending)? (?:ip |domain |sender )?reputation\b|(?:reputation of|reputation for) (?:the |your )?(?:sending|sender)/i],
	[
		'spamdetected',
		/\bspam\b|\bspammy\b|\bube\b|\buce\b|junk mail|looks like (?:spam|junk)|spam ?(?:score|filter|detected|content)|classified as (?:spam|junk)|scored as spam|message content rejected|blacklisted url|likely unsolicited|unsolicited (?:bulk |commercial )?(?:mail|e-?mail|message)/i,
	],
	[
		'norelaying',
		/relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited|disallowed|refused)|not permitted to relay|(?:unable|not allowed|cannot) to relay|we do not relay|no relaying|relay not permitted|not (?:a )?gateway|insecure (?:mail )?relay|relay access|use me (?:\[[^\]\n]{0,100}\] )?as a relay|not (?:been )?configured to (?:let you|relay|accept relay)|email address is not verified|identities failed the check/i,
	],
	// A DNS blocklist named in the reply ("blocked using Example Reputation") is a block, even when
	// the list's name says reputation.
	['blocked', /blocked using\b|found on (?:one or more )?dnsbls?\b|listed (?:at|on|in) (?:the )?dnsbl|(?:which|that) is an open relay|(?:listed|known) as an open relay/i],
	['badreputation', /reputation|sender score|poor (?:sending )?history/i],
	[
		'speeding',
		/too many (?:recipients|messages|mails|emails)(?: sent)? (?:this|per|in the last|in an?|within) (?:hour|minute|day|\d)|(?:hourly|daily) (?:sending |message )?(?:limit|quota)|(?:sent|sending) too many (?:messages|mails|emails)|sending (?:limit|quota) (?:exceeded|reached)|(?:exceeded|reached) (?:your |the |a )?(?:daily |hourly )?(?:limit for sending|sending (?:limit|quota))|(?:daily|hourly) user sending/i,
	],
	[
		'toomanyconn',
		/too many (?:connections|concurrent|simultaneous|sessions|recipients|messages|errors)|connection (?:limit|rate)|(?:concurrency|connection) limit|max(?:imum)? (?:number of )?connections|too many hosts|rate of connections|too many smtp|frequency limit/i,
	],
	['speeding', /rate ?limit|sending (?:too fast|rate)|throttl|slow down|exceeded (?:the )?(?:sending|message) (?:rate|limit)/i],
	[
		'policyviolation',
		/\bpolic(?:y|ies)\b|not accepted (?:due to|for) .{0,20}reasons|prohibited (?:attachment|file|content)|attachment (?:type|extension)? ?(?:not allowed|blocked|prohibited|rejected)|presents a potential security issue|blocked because (?:of )?its content|violat/i,
	],
	[
		'blocked',
		/blacklist|black list|blocklist|block list|denylist|\brbl\b|dnsbl|spamhaus|spamcop|sorbs|barracuda|listed (?:at|on|in) \S|blocked using|client host .{0,100}rejected|(?:ip|host|connection|sender ip|your ip|client|network) (?:address )?(?:is |has been |was )?(?:blocked|banned|blacklisted|not allowed)|(?:blocked|banned) (?:ip|host|sending ip|connection)|service unavailable[;,] client|refused to talk to me|\bblocked (?:by|for abuse|due to)|gr[ae]ylist|not authori[sz]ed to send (?:e-?mail|mail|messages) directly|(?:traffic|connections?|mail|messages) (?:will )?not (?:be )?accepted from (?:this|your|the) ip|service refuse|invalid ip|may not be mail exchanger|not allowed to send/i,
	],
	[
		'securityerror',
		/authentication (?:required|is required|failed|failure|credentials invalid)|auth(?:entication)? required|unauthenticated senders?|not authenticated|must (?:be )?authenticat|smtp authentication|sender (?:address )?(?:not )?verif|certificate|security (?:error|violation)|insecure|authorization required|login required/i,
	],
	[
		'contenterror',
		/content (?:error|problem)|invalid (?:content|mime|message|header)|improper use of 8-bit|8-?bit data|malformed(?! (?:recipient )?address)|message (?:content|body) (?:is )?(?:invalid|not acceptable)|bad (?:message|header|mime)|encoding (?:problem|error)|header (?:error|syntax)|headers? (?:too long|invalid)/i,
	],
	[
		'syntaxerror',
		/syntax error|command (?:not recognized|unrecognized)|malformed (?:recipient )?address|incorrectly constructed|bad sequence|unrecognized command|command out of sequence|invalid command|parameter (?:not implemented|syntax)|need (?:rcpt|mail)/i,
	],
	['systemfull', /insufficient system (?:storage|resources)|system (?:storage|disk) (?:is )?full|out of (?:disk|storage) space|disk full|not enough disk/i],
	[
		'systemerror',
		/system (?:error|problem|failure|not available)|internal (?:server )?error|local error|server error|mail system (?:problem|error)|i\/o error|server (?:is )?(?:busy|unavailable|misconfigured)|configuration error|resources? (?:temporarily )?unavailable|service (?:currently |temporarily )?unavailable|processing error|unexpected error|out of memory|queue file write error|unable to contact|ldap (?:error|lookup|failure|server|timeout)/i,
	],
	['networkerror', /network (?:error|is unreachable|unreachable|problem)|no route to host|connection (?:reset|refused|lost|closed|dropped)|lost connection|could not connect|unable to connect|unreachable|not reachable/i],
];

/** Generic words: used only when neither a specific phrase nor the status code decides. */
const WEAK: Array<[Reason, RegExp]> = [
	['filtered', /filter(?:ed)?|content rejected|user reject|not authori[sz]ed|cannot be delivered to this user|refused by recipient|not allowed to receive/i],
	['rejected', /rejected|refused|you are not allowed|denied/i],
	['blocked', /\bblocked\b|access denied|banned/i],
	['systemerror', /other mail system problem|transaction failed/i],
	// Google Groups: the group does not exist or the sender may not post (localised text).
	['rejected', /groups\.google\.com/i],
];

/**
 * Replies given after the message data was sent: a "user unknown" there is a content filter.
 * Exim names a command sent in a pipelined group "after pipelined RCPT TO:<...>"; qmail says
 * "failed after I sent the message", "does not like recipient", "sender was rejected" and
 * "greeting failed"; the DragonFly Mail Agent "did not like our MAIL FROM" (RCPT TO, final DATA).
 */
const AFTER_DATA = /after (?:pipelined )?end of data|failed after i sent the message|end of data command|in reply to (?:end of )?data|final data|smtp command:? data|after data\b|\[data\]/i;
const AFTER_RCPT = /after (?:pipelined )?rcpt(?: to|\b command)|did not like our rcpt to|does not like recipient|in reply to rcpt to|rcpt to command|after recipient|\[rcpt_to\]|\bsmtp:rcpt\b/i;
const AFTER_MAIL = /after (?:pipelined )?mail from|did not like our mail from|but sender was rejected|in reply to mail from|mail from command/i;
const AFTER_CONNECT = /after initial connection|in reply to (?:the )?(?:initial )?(?:greeting|banner|connect)|(?:smtp )?greeting (?:failure|failed|rejected)|after connect(?:ing)?\b|did not like our (?:connect|ehlo|helo)\b/i;

/**
 * SMTP command the remote server was answering when it gave the error: 'DATA', 'RCPT', 'MAIL',
 * 'CONN' (the greeting), or '' when the text does not tell. Reads phrases (Exim "after RCPT TO",
 * Postfix "in reply to end of DATA command"). Sendmail transcripts (">>> DATA" then "<<< 550") are
 * not used: with pipelining the reply to an earlier RCPT arrives after DATA was sent.
 */
export function smtpCommandOf(text: string): string {
	const t = text.length > 8000 ? text.slice(0, 8000) : text;
	if (AFTER_DATA.test(t)) return 'DATA';
	if (AFTER_RCPT.test(t)) return 'RCPT';
	if (AFTER_MAIL.test(t)) return 'MAIL';
	if (AFTER_CONNECT.test(t)) return 'CONN';
	return '';
}

const EXPIRED =
	/envelope expired|could not deliver for|will be retried for|did not accept our requests to connect|notification about a delay|connection (?:to [^\s]{1,100} )?timed out|timed out while|retry time(?:out)? (?:exceeded|expired)|message expired|(?:delivery )?time (?:limit )?expired|expired after|too long (?:in|on) (?:the )?queue|(?:been )?in the queue too long|could not be delivered (?:for|within) \d|undeliverable for \d|giving up after|retry time not reached|failing for a long time|long failure period|cannot send (?:the )?message for \d|after (?:multiple|several|repeated|many) (?:retries|attempts)|delivery period (?:has )?expired|message (?:has )?timed out|maximum (?:time|retry)|retry (?:period|limit) (?:exceeded|expired)|queue\.expired|not (?:been )?delivered for more than|unable to deliver .{0,60} for \d{1,4} (?:days|hours)|was not delivered within|have been unable to deliver|trying to deliver for|still could not be delivered|delivery (?:attempts|retries) expired|lifetime exceeded|(?:message|mail) (?:delivery )?(?:is )?(?:delayed|deferred) (?:for|more than) \d/i;

/** Status code → reason for codes whose meaning is unambiguous enough. */
const STATUS_MAP: Record<string, Reason> = {
	'1.1': 'userunknown',
	'1.0': 'userunknown',
	'1.2': 'hostunknown',
	'1.3': 'userunknown',
	'1.4': 'userunknown',
	'1.5': 'userunknown',
	'1.6': 'hasmoved',
	'1.7': 'rejected',
	'1.8': 'rejected',
	'1.9': 'onhold',
	'1.10': 'notaccept',
	'2.0': 'filtered',
	'2.1': 'suspend',
	'2.2': 'mailboxfull',
	'2.3': 'exceedlimit',
	'2.4': 'systemerror',
	'3.0': 'systemerror',
	'3.1': 'systemfull',
	'3.2': 'notaccept',
	'3.3': 'systemerror',
	'3.4': 'mesgtoobig',
	'3.5': 'systemerror',
	'4.0': 'networkerror',
	'4.1': 'networkerror',
	'4.2': 'networkerror',
	'4.3': 'hostunknown',
	'4.4': 'hostunknown',
	'4.5': 'toomanyconn',
	'4.6': 'networkerror',
	'4.7': 'expired',
	'5.0': 'syntaxerror',
	'5.1': 'syntaxerror',
	'5.2': 'syntaxerror',
	'5.3': 'toomanyconn',
	'5.4': 'syntaxerror',
	'5.5': 'syntaxerror',
	'5.6': 'syntaxerror',
	'6.0': 'contenterror',
	'6.1': 'contenterror',
	'6.2': 'contenterror',
	'6.3': 'contenterror',
	'6.4': 'contenterror',
	'6.5': 'contenterror',
	'6.6': 'contenterror',
	'6.7': 'contenterror',
	'6.8': 'contenterror',
	'6.9': 'contenterror',
	'6.10': 'contenterror',
	'7.1': 'blocked',
	'7.2': 'filtered',
	'7.3': 'securityerror',
	'7.4': 'securityerror',
	'7.5': 'securityerror',
	'7.6': 'securityerror',
	'7.7': 'securityerror',
	'7.8': 'securityerror',
	'7.9': 'securityerror',
	'7.10': 'securityerror',
	'7.11': 'failedstarttls',
	'7.12': 'securityerror',
	'7.13': 'suspend',
	'7.14': 'securityerror',
	'7.15': 'securityerror',
	'7.16': 'mailboxfull',
	'7.17': 'suspend',
	'7.18': 'suspend',
	'7.19': 'suspend',
	'7.20': 'authfailure',
	'7.21': 'authfailure',
	'7.22': 'authfailure',
	'7.23': 'authfailure',
	'7.24': 'authfailure',
	'7.25': 'requireptr',
	'7.26': 'authfailure',
	'7.27': 'notaccept',
	'7.28': 'spamdetected',
	'7.29': 'authfailure',
	'7.30': 'authfailure',
	'7.509': 'authfailure',
	'7.606': 'blocked',
	'7.650': 'badreputation',
};

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

function firstMatch(table: Array<[Reason, RegExp]>, text: string): Reason | undefined {
	for (const [reason, re] of table) if (re.test(text)) return reason;
	return undefined;
}

/** Postfix's directory answer, quoted whole by a gateway: "User unknown in local recipient table". */
const RECIPIENT_TABLE = /user unknown in (?:virtual|local) (?:mailbox |alias |recipient )?table|recipient address rejected: user unknown/i;

/** A mailbox that exists but is switched off. */
const DISABLED = /\b(?:disabled|inactive|suspended|deactivated)\b/i;

/** Status codes that are specific enough to override the wording of the reply. */
const DECISIVE_STATUS = new Set(['2.2', '2.3', '1.6', '7.13', '7.25', '7.26', '7.27', '7.509']);

export function classify(input: ClassifyInput): Reason {
	// Addresses are removed so that local parts never read as phrases.
	const diag = input.diagnostic.slice(0, 4000).replace(/[^\s<>()[\]"',;:]{1,64}@[^\s<>()[\]"',;:]{1,255}/g, ' ');
	const status = input.status;
	const sub = status ? status.slice(status.indexOf('.') + 1) : '';
	if (status.startsWith('2.') || input.action === 'delivered') return 'delivered';
	const type = (input.diagnosticType ?? '').toLowerCase();
	if (DECISIVE_STATUS.has(sub)) return STATUS_MAP[sub];
	const command = input.command || smtpCommandOf(diag);
	const expired = sub === '4.7' || EXPIRED.test(diag);
	let reason = firstMatch(STRONG, diag);
	// "User unknown" after the recipient was accepted (reply to DATA) comes from a content filter.
	// A gateway that takes the whole message before asking the mailbox server passes that server's
	// per-recipient answer on after DATA ("permanent failure for one or more recipients (a@b: 550
	// 5.1.1 ... User unknown in virtual mailbox table)"): the directory's answer, not a filter's.
	if (reason === 'userunknown' && command === 'DATA' && !(sub === '1.1' && RECIPIENT_TABLE.test(diag))) return 'filtered';
	if (reason === 'userunknown') {
		// Given in reply to MAIL FROM, "mailbox unavailable" is about the sender's address or domain.
		if (command === 'MAIL') return 'rejected';
		// X.7.x is a security or policy refusal: a bare "user unknown" under it is a filter's answer.
		if (sub.startsWith('7.') && /\b(?:user unknown|unknown user|no such user)\b/i.test(diag)) return 'filtered';
		// "550 : User unknown" names no mailbox: the reply shape some carriers' MTAs (au/KDDI's among
		// them) give when the recipient's own filter refuses the sender. A real unknown user is named.
		if (/\b550 : user unknown\b/i.test(input.diagnostic.slice(0, 4000))) return 'filtered';
		// A filtering gateway that answers "unknown user" without an addressing status code (X.1.x)
		// reports its own refusal, not the mailbox server's directory.
		if (input.fromFilterGateway && !sub.startsWith('1.')) return 'filtered';
		// X.2.x speaks of a mailbox that exists (disabled, full, over a limit). Under it "user
		// unknown" is only the directory's answer when given to RCPT TO; otherwise it is a refusal.
		if ((sub.startsWith('2.') || sub.startsWith('3.')) && command !== 'RCPT') return DISABLED.test(diag) || DISABLED.test(input.statusText ?? '') ? 'suspend' : 'filtered';
	}
	// A header or content problem refused under an RFC 3463 policy code (x.7.x) is a policy matter.
	if (reason === 'contenterror' && status[2] === '7' && status[3] === '.') return 'policyviolation';
	// A transient cause reported when the queue gave up: the message expired.
	if (expired && (reason === 'networkerror' || reason === 'systemerror')) return 'expired';
	// Given up for good on a temporary (4xx) network problem: the sender stopped retrying.
	if (reason === 'networkerror' && input.action === 'failed' && input.replyCode.startsWith('4')) return 'expired';
	if (reason) return reason;
	if (type === 'x-unix') return 'mailererror';
	if (expired) return 'expired';
	if (sub && STATUS_MAP[sub] && sub !== '7.1' && sub !== '7.0') return STATUS_MAP[sub];
	reason = firstMatch(WEAK, diag);
	// Refused before any address was sent (at the greeting): the sending host is refused.
	if (command === 'CONN' && (!reason || reason === 'rejected' || reason === 'filtered')) return 'blocked';
	if (reason) return reason;
	if (sub === '7.1' || sub === '7.0') return 'blocked';
	switch (input.replyCode) {
		case '421':
			return 'blocked';
		case '450':
		case '451':
			return 'onhold';
		case '452':
			return 'systemfull';
		case '500':
		case '501':
		case '502':
		case '503':
		case '504':
			return 'syntaxerror';
		case '550':
			return 'rejected';
		case '551':
			return 'hasmoved';
		case '552':
			return 'mailboxfull';
		case '553':
			return 'rejected';
		case '554':
			return 'rejected';
		case '521':
		case '556':
			return 'notaccept';
		default:
			break;
	}
	// Nothing decides: on hold while there is some text to go on, undefined without any.
	if (input.action === 'delayed') return 'onhold';
	return diag.trim() ? 'onhold' : 'undefined';
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
