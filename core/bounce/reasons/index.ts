/**
 * The reason vocabulary and the order in which the phrase lists of ./<reason>.ts are tried.
 * A specific list that comes earlier wins over a later one: "blocked using <a list named
 * Reputation>" is a block, "very low reputation ... to protect from spam" is about reputation.
 */
import { anyOf } from '../phrases';
import * as authfailure from './authfailure';
import * as badreputation from './badreputation';
import * as blocked from './blocked';
import * as contenterror from './contenterror';
import * as exceedlimit from './exceedlimit';
import * as expired from './expired';
import * as failedstarttls from './failedstarttls';
import * as filtered from './filtered';
import * as hasmoved from './hasmoved';
import * as hostunknown from './hostunknown';
import * as mailboxfull from './mailboxfull';
import * as mailererror from './mailererror';
import * as mesgtoobig from './mesgtoobig';
import * as networkerror from './networkerror';
import * as norelaying from './norelaying';
import * as notaccept from './notaccept';
import * as notcompliantrfc from './notcompliantrfc';
import * as policyviolation from './policyviolation';
import * as rejected from './rejected';
import * as requireptr from './requireptr';
import * as securityerror from './securityerror';
import * as spamdetected from './spamdetected';
import * as speeding from './speeding';
import * as suspend from './suspend';
import * as syntaxerror from './syntaxerror';
import * as systemerror from './systemerror';
import * as systemfull from './systemfull';
import * as toomanyconn from './toomanyconn';
import * as userunknown from './userunknown';
import * as virusdetected from './virusdetected';

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

export type PhraseRule = [Reason, RegExp];

const rules = (table: Array<[Reason, readonly RegExp[]]>): PhraseRule[] =>
	table.map(([reason, list]) => [reason, anyOf(list)]);

/** Specific phrases, tried before anything else; the first list that matches decides. */
export const SPECIFIC: PhraseRule[] = rules([
	['authfailure', authfailure.phrases],
	['requireptr', requireptr.phrases],
	['virusdetected', virusdetected.phrases],
	['failedstarttls', failedstarttls.phrases],
	['notcompliantrfc', notcompliantrfc.phrases],
	['mailboxfull', mailboxfull.phrases],
	['mailererror', mailererror.phrases],
	['hasmoved', hasmoved.phrases],
	['exceedlimit', exceedlimit.phrases],
	['mesgtoobig', mesgtoobig.phrases],
	['rejected', rejected.phrases],
	['filtered', filtered.phrases],
	['suspend', suspend.phrases],
	['notaccept', notaccept.phrases],
	['networkerror', networkerror.routing],
	['blocked', blocked.sendingHost],
	['hostunknown', hostunknown.phrases],
	['userunknown', userunknown.phrases],
	['badreputation', badreputation.lowStanding],
	['spamdetected', spamdetected.phrases],
	['norelaying', norelaying.phrases],
	['blocked', blocked.blocklistNamed],
	['badreputation', badreputation.phrases],
	['speeding', speeding.volume],
	['toomanyconn', toomanyconn.phrases],
	['speeding', speeding.phrases],
	['policyviolation', policyviolation.phrases],
	['blocked', blocked.phrases],
	['securityerror', securityerror.phrases],
	['contenterror', contenterror.phrases],
	['syntaxerror', syntaxerror.phrases],
	['systemfull', systemfull.phrases],
	['systemerror', systemerror.phrases],
	['networkerror', networkerror.phrases],
]);

/** Generic words: tried only when neither a specific phrase nor the status code decides. */
export const GENERIC: PhraseRule[] = rules([
	['filtered', filtered.generic],
	['rejected', rejected.generic],
	['blocked', blocked.generic],
	['systemerror', systemerror.generic],
	['rejected', rejected.googleGroups],
]);

/** A queue that gave up: the message expired. */
export const EXPIRED = anyOf(expired.phrases);

export function firstMatch(table: PhraseRule[], text: string): Reason | undefined {
	for (const [reason, re] of table) if (re.test(text)) return reason;
	return undefined;
}
