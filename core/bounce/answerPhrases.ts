/**
 * What answers to a sent message say of themselves: one phrase per line (see phrases.ts). English,
 * plus the common German, French and Spanish wording of out-of-office subjects and notices.
 */
import { anyOf } from './phrases';

/** Subjects that automatic replies start with (after any "Re:"). */
export const AUTO_SUBJECT = anyOf([
	/^auto(?:matic|matische|matique)?[ -]?(?:reply|response|antwort|r[ée]ponse|respuesta)/,
	/^(?:automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica)/,
	/^auto:/,
	/^out of (?:the )?office/,
	/^(?:abwesenheitsnotiz|abwesenheit|nicht im b[üu]ro|urlaub)/,
	/^(?:absence du bureau|absent|absence)/,
	/^(?:fuera de la oficina|ausente|fuera de oficina)/,
	/^(?:vacation|on vacation|on holiday|away)/,
]);

/** The address changed, or the person left: the notice may name where to write instead. */
export const MOVED = anyOf([
	/no longer (?:with|at|employed|part of|works? (?:at|for)|working (?:at|for)|in use|monitored|active)/,
	/(?:has|have) left (?:the|our) (?:company|organi[sz]ation|firm|team)/,
	/(?:has|have) left [a-z0-9&. -]{1,40} (?:as of|on|effective)/,
	/left the company/,
	/(?:e-?mail )?address (?:has )?(?:changed|moved)/,
	/(?:my|our|the) new (?:e-?mail )?address/,
	/this (?:e-?mail )?address (?:is|will) no longer/,
	/please update your (?:records|address book|contacts)/,
	/nicht mehr (?:im unternehmen|bei uns|f[üu]r|t[äa]tig|erreichbar unter|g[üu]ltig)/,
	/(?:hat|haben) (?:unser unternehmen|das unternehmen|uns) verlassen/,
	/neue (?:e-?mail-?)?adresse/,
	/ne fait plus partie/,
	/a quitt[ée] (?:la soci[ée]t[ée]|l'entreprise|notre)/,
	/nouvelle adresse/,
	/ya no (?:trabaja|forma parte|est[áa] en)/,
	/nueva direcci[óo]n/,
]);

/** A ticket system or a mailbox confirming it received the message. */
export const TICKET = anyOf([
	/\[?(?:ticket|case|request|incident)\s?(?:#|no\.?|number|id)\s?:?\s?\w{0,4}\d/,
	/(?:ticket|case|request) (?:has been|was) (?:opened|created|logged)/,
	/(?:opened|created) a (?:support )?ticket/,
]);

export const RECEIVED = anyOf([
	/(?:we|i) (?:have )?(?:successfully )?received your (?:message|e-?mail|request|inquiry|enquiry|mail)/,
	/(?:your|this) (?:message|e-?mail|request|inquiry|enquiry) has been received/,
	/this is an automat(?:ic|ed) (?:confirmation|acknowledge?ment)/,
	/acknowledge?ment of (?:receipt|your)/,
	/(?:will|shall) (?:get back to|respond to|reply to|contact) you (?:within|as soon|shortly)/,
	/wir haben ihre (?:nachricht|anfrage|e-?mail) erhalten/,
	/nous avons (?:bien )?re[çc]u votre/,
	/hemos recibido (?:su|tu)/,
]);

/** Away for a while and back later. */
export const AWAY = anyOf([
	/out of (?:the )?office/,
	/(?:i am|i'm|i will be|i'll be) (?:currently )?(?:away|out|on (?:vacation|holiday|leave|annual leave))/,
	/on (?:vacation|holiday|annual leave|parental leave|maternity leave|paternity leave|sick leave|leave)/,
	/(?:limited|no) access to (?:my )?e-?mail/,
	/(?:back|return(?:ing)?) (?:in the office )?(?:on|by|after) /,
	/\bvacation\b/,
	/abwesend|abwesenheit|im urlaub|nicht im b[üu]ro|au[ßs]er haus/,
	/absente?\b|en (?:vacances|cong[ée]s?)|absence du bureau/,
	/fuera de la oficina|de vacaciones|ausente/,
]);

/** Where a moved notice points: the line that names the new address. */
export const NEW_ADDRESS_CUE = anyOf([
	/new|now|instead|contact|reach|write to|send|forward|successor|colleague|replacement/,
	/neue|erreichen|wenden sie sich|kontakt/,
	/nouvelle|contacter|[ée]crire/,
	/nueva|contactar|escriba/,
]);
