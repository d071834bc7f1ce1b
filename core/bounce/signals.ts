/**
 * Words that tell what kind of mail this is: a failure notice, a forward, a failing reply.
 * One phrase per line, matched without regard to case.
 */
import { anyOf } from './phrases';

/** Phrases of a failure notice, in English and in the languages common servers are set up in. */
export const BOUNCE_TEXT = anyOf([
	/could not be delivered/,
	/couldn't be delivered/,
	/undeliverable/,
	/undelivered/,
	/delivery (?:has )?failed/,
	/delivery to the following/,
	/failed permanently/,
	/permanent (?:error|failure)/,
	/not be delivered/,
	/unable to deliver/,
	/wasn't able to deliver/,
	/was not delivered/,
	/delivery failure/,
	/returned to sender/,
	/mail delivery failed/,
	/following address(?:es)? (?:had|failed)/,
	/did not reach/,
	/delivery problem/,
	/there was an error delivering/,
	/could not deliver/,
	/giving up/,
	/delivery status notification/,
	/(?:that's|that is|this is) not a valid (?:user|recipient|address|mailbox)/,
	/konnte nicht (?:an \S{1,80} )?zugestellt werden/,
	/fehler bei der zustellung/,
	/n'a pas pu (?:être|etre) (?:remis|distribu)/,
	/no se pudo entregar/,
	/non (?:è|e') stato possibile (?:recapitare|consegnare)/,
	/kon niet worden bezorgd/,
	/n[ãa]o foi poss[íi]vel entregar/,
	/il messaggio non [èe] stato recapitato/,
	/не (?:было |может быть )?доставлено/,
	/(?:配送|配信)(?:に|が)?(?:失敗|できませんでした)/,
]);

/** Subject of a forwarded mail, in the prefixes common mail clients write. */
export const FORWARD_SUBJECT = /^\s{0,4}(?:fwd?|wg|tr|rv|enc|doorst)\s{0,2}:/i;

/** An SMTP failure reply or a delivery-failure phrase in the notification. */
export const FAILURE_SIGNAL = anyOf([
	/(?:^|\n)\s{0,8}[45][0-5]\d[ -]\S/,
	/deferred:/,
	/\bfailed\b/,
	/could not be delivered/,
	/undeliverable/,
	/unable to deliver/,
	/did not reach/,
	/(?:could not|cannot|can't) be reached/,
	/(?:that's|that is|this is) not a valid (?:user|recipient|address|mailbox)/,
]);

/** The part of a text worth testing for those words: a notice's opening. */
export const head = (text: string): string => text.slice(0, 20000);
