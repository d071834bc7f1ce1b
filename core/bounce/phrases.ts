/**
 * Phrase lists compiled at load. Each list holds one phrase per line (a small regular expression,
 * written without flags) so that adding a phrase is a one-line diff; a list is tried as one
 * expression, without regard to case: a text matches the list when it matches any phrase.
 */
export function anyOf(phrases: readonly RegExp[], flags = 'i'): RegExp {
	return new RegExp(phrases.map((p) => p.source).join('|'), flags);
}
