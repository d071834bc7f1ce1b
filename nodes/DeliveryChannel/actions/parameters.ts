/**
 * Reads node parameters per item, cheaply where n8n's answer is known in advance:
 * - a parameter that holds no expression is resolved once per execution (the same for every item);
 * - a text made only of plain text and references to fields of the current item, such as
 *   `={{ $json.email }}` or `=Hello {{ $json["first name"] }}`, is filled in from the item directly
 *   when every referenced field holds a string: n8n's expression engine would return exactly that
 *   text. Anything else (another value type, a missing field, any other expression) goes to n8n.
 * n8n's per-call work (expression engine, schema validation, resource locator extraction) is the
 * largest cost of sending a big batch.
 */
import type { IDataObject, IExecuteFunctions, IGetNodeParameterOptions, INodeProperties, NodeParameterValueType } from 'n8n-workflow';

import { DeliveryError, inputError } from '../../../core/errors';
import { show } from '../../../core/message/show';

/** What the raw (unevaluated) value of a parameter says; the same for every item of a run. */
interface RawInfo {
	/** The value holds an expression, so it can differ per item. */
	dynamic: boolean;
	/** The value is a field template the node fills itself; null when it is not one. */
	template: FieldTemplate | null;
}

/** Per execution: values of parameters without expressions, and what each raw value says. */
interface ParameterCache {
	values: Map<string, unknown>;
	raw: Map<string, RawInfo>;
}

const caches = new WeakMap<IExecuteFunctions, ParameterCache>();

/** Whether a raw parameter value contains an n8n expression anywhere (strings starting with "="). */
export function containsExpression(value: unknown, depth = 0): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (depth > 20 || value === null || typeof value !== 'object') return false;
	if (Array.isArray(value)) return value.some((entry) => containsExpression(entry, depth + 1));
	return Object.values(value).some((entry) => containsExpression(entry, depth + 1));
}

/** Plain text pieces and field paths, alternating: text, path, text, path, ..., text. */
export interface FieldTemplate {
	texts: string[];
	paths: string[][];
}

/** `$json.a.b`, `$json["a b"]`, `$json['a'].b` → ['a', 'b'] / ['a b'] / ['a', 'b']; else undefined. */
function fieldPath(expression: string): string[] | undefined {
	const source = expression.trim();
	if (!source.startsWith('$json')) return undefined;
	const path: string[] = [];
	let rest = source.slice(5);
	if (!rest) return undefined; // all of $json is an object, not a string
	while (rest) {
		const dotted = /^\.([A-Za-z_$][A-Za-z0-9_$]*)/.exec(rest);
		if (dotted) {
			path.push(dotted[1]);
			rest = rest.slice(dotted[0].length);
			continue;
		}
		// A quoted key without quotes, backslashes or line breaks inside.
		const bracketed = /^\[\s*(?:"([^"\\\n\r]*)"|'([^'\\\n\r]*)')\s*\]/.exec(rest);
		if (bracketed) {
			path.push(bracketed[1] ?? bracketed[2]);
			rest = rest.slice(bracketed[0].length);
			continue;
		}
		return undefined;
	}
	return path.length <= 10 ? path : undefined;
}

/**
 * Compiles `=text {{ $json.field }} text ...` into a template; undefined for anything else,
 * including any other expression, braces or backslashes in the plain text, and more than 20 fields.
 */
export function compileFieldTemplate(raw: unknown): FieldTemplate | undefined {
	if (typeof raw !== 'string' || !raw.startsWith('=') || raw.length > 10_000) return undefined;
	const source = raw.slice(1);
	const texts: string[] = [];
	const paths: string[][] = [];
	let at = 0;
	while (at <= source.length) {
		const open = source.indexOf('{{', at);
		const text = source.slice(at, open < 0 ? source.length : open);
		if (/[{}\\]/.test(text)) return undefined;
		texts.push(text);
		if (open < 0) break;
		const close = source.indexOf('}}', open + 2);
		if (close < 0) return undefined;
		const path = fieldPath(source.slice(open + 2, close));
		if (!path || paths.length >= 20) return undefined;
		paths.push(path);
		at = close + 2;
	}
	return paths.length > 0 ? { texts, paths } : undefined;
}

/** Fills a template from an item's JSON; undefined unless every field holds a string. */
export function fillFieldTemplate(template: FieldTemplate, json: IDataObject | undefined): string | undefined {
	if (!json) return undefined;
	let out = template.texts[0];
	for (let i = 0; i < template.paths.length; i++) {
		let value: unknown = json;
		for (const key of template.paths[i]) {
			if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
			value = (value as IDataObject)[key];
		}
		if (typeof value !== 'string') return undefined;
		out += value + template.texts[i + 1];
	}
	return out;
}

export function itemParameter(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback: NodeParameterValueType | object,
	options?: IGetNodeParameterOptions,
): unknown {
	let cache = caches.get(context);
	if (!cache) {
		cache = { values: new Map(), raw: new Map() };
		caches.set(context, cache);
	}
	const key = options?.extractValue ? `${name}#extracted` : name;
	if (cache.values.has(key)) return cache.values.get(key);
	let info = cache.raw.get(name);
	if (!info) {
		const raw = context.getNodeParameter(name, itemIndex, fallback, { rawExpressions: true });
		info = { dynamic: containsExpression(raw), template: compileFieldTemplate(raw) ?? null };
		cache.raw.set(name, info);
	}
	if (info.template && !options) {
		const filled = fillFieldTemplate(info.template, context.getInputData()[itemIndex]?.json);
		if (filled !== undefined) return filled;
	}
	const value = context.getNodeParameter(name, itemIndex, fallback, options);
	if (!info.dynamic) cache.values.set(key, value);
	return value;
}

/** 'to' → 'To Email', 'options.cc' → 'CC Email': the names users see in the editor, for errors. */
export function parameterLabels(properties: INodeProperties[]): Map<string, string> {
	const labels = new Map<string, string>();
	for (const property of properties) {
		labels.set(property.name, property.displayName);
		if (property.type !== 'collection') continue;
		for (const option of property.options ?? []) {
			if ('displayName' in option && typeof option.displayName === 'string') labels.set(`${property.name}.${option.name}`, option.displayName);
		}
	}
	return labels;
}

function expressionOf(raw: unknown): unknown {
	return raw && typeof raw === 'object' && '__rl' in raw ? (raw as IDataObject).value : raw;
}

/**
 * An error n8n raised while evaluating a parameter for one item (an expression with a syntax error,
 * one that throws), as an input error that names the field (for a collection, the option whose
 * expression failed) and shows the expression.
 */
export function parameterError(context: IExecuteFunctions, name: string, itemIndex: number, error: unknown, labels: Map<string, string>): Error {
	if (error instanceof DeliveryError) return error;
	let field = name;
	let failure = error;
	let raw = expressionOf(context.getNodeParameter(name, itemIndex, undefined, { rawExpressions: true }));
	if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
		for (const [key, value] of Object.entries(raw)) {
			if (!containsExpression(value)) continue;
			try {
				context.getNodeParameter(`${name}.${key}`, itemIndex);
			} catch (optionError) {
				field = `${name}.${key}`;
				raw = value;
				failure = optionError;
				break;
			}
		}
	}
	const cause = failure as { message?: string; description?: string };
	return inputError(
		field,
		`The expression in ${labels.get(field) ?? field} could not be evaluated for this item (${cause.message ?? String(failure)}): ${show(raw)}`,
		typeof cause.description === 'string' && cause.description ? cause.description : 'Check the expression in the editor against this item\'s data.',
	);
}
