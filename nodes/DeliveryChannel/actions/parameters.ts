/**
 * Reads node parameters per item. Every value that can differ per item (a parameter holding an
 * expression anywhere) is asked of n8n for that item, so it is evaluated by whichever expression
 * engine the instance runs. A parameter holding no expression is a per-run setting: n8n resolves it
 * the same for every item, so it is asked once per execution, and each item gets its own copy because
 * items run at once and may change what they were given.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	IGetNodeParameterOptions,
	INodeProperties,
	NodeParameterValueType,
} from 'n8n-workflow';

import { DeliveryError, inputError } from '../../../core/errors';
import { show } from '../../../core/message/show';

/** Per execution: whether each raw parameter holds an expression, and the per-run settings read so far. */
interface RunCache {
	dynamic: Map<string, boolean>;
	settings: Map<string, unknown>;
}

const runs = new WeakMap<IExecuteFunctions, RunCache>();

/**
 * Whether a raw parameter value holds an n8n expression (a string starting with "=") at any depth,
 * as n8n evaluates at any depth. Walks with a list rather than recursion, so no depth is too deep.
 */
export function containsExpression(value: unknown): boolean {
	const pending: unknown[] = [value];
	while (pending.length > 0) {
		const next = pending.pop();
		if (typeof next === 'string') {
			if (next.startsWith('=')) return true;
		} else if (next !== null && typeof next === 'object') {
			for (const entry of Object.values(next)) pending.push(entry);
		}
	}
	return false;
}

function runCache(context: IExecuteFunctions): RunCache {
	let cache = runs.get(context);
	if (!cache) {
		cache = { dynamic: new Map(), settings: new Map() };
		runs.set(context, cache);
	}
	return cache;
}

/** What makes two reads of a setting the same; undefined for reads that always go to n8n as asked. */
function settingKey(
	name: string,
	fallback: unknown,
	options: IGetNodeParameterOptions | undefined,
): string | undefined {
	if (options?.rawExpressions || options?.contextNode) return undefined;
	const { extractValue = false, ensureType = null, skipValidation = false } = options ?? {};
	return JSON.stringify([name, fallback ?? null, extractValue, ensureType, skipValidation]);
}

function holdsExpression(
	context: IExecuteFunctions,
	cache: RunCache,
	name: string,
	itemIndex: number,
	fallback: unknown,
): boolean {
	let dynamic = cache.dynamic.get(name);
	if (dynamic === undefined) {
		dynamic = containsExpression(
			context.getNodeParameter(name, itemIndex, fallback as object, { rawExpressions: true }),
		);
		cache.dynamic.set(name, dynamic);
	}
	return dynamic;
}

/** A parameter's value for one item: n8n's answer for that item, or this item's copy of a per-run setting. */
export function itemParameter(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback: NodeParameterValueType | object,
	options?: IGetNodeParameterOptions,
): unknown {
	const key = settingKey(name, fallback, options);
	if (key === undefined) return context.getNodeParameter(name, itemIndex, fallback, options);
	const cache = runCache(context);
	if (!cache.settings.has(key)) {
		if (holdsExpression(context, cache, name, itemIndex, fallback))
			return context.getNodeParameter(name, itemIndex, fallback, options);
		cache.settings.set(key, context.getNodeParameter(name, itemIndex, fallback, options));
	}
	return structuredClone(cache.settings.get(key));
}

/** 'to' → 'To Email', 'options.cc' → 'CC Email': the names users see in the editor, for errors. */
export function parameterLabels(properties: INodeProperties[]): Map<string, string> {
	const labels = new Map<string, string>();
	for (const property of properties) {
		labels.set(property.name, property.displayName);
		if (property.type !== 'collection') continue;
		for (const option of property.options ?? []) {
			if ('displayName' in option && typeof option.displayName === 'string')
				labels.set(`${property.name}.${option.name}`, option.displayName);
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
export function parameterError(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	error: unknown,
	labels: Map<string, string>,
): Error {
	if (error instanceof DeliveryError) return error;
	let field = name;
	let failure = error;
	let raw = expressionOf(
		context.getNodeParameter(name, itemIndex, undefined, { rawExpressions: true }),
	);
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
	const reason = cause.message ?? String(failure);
	const hint =
		typeof cause.description === 'string' && cause.description ? cause.description : undefined;
	return inputError(
		field,
		`The expression in ${labels.get(field) ?? field} could not be evaluated for this item (${reason}): ${show(raw)}`,
		hint ?? "Check the expression in the editor against this item's data.",
	);
}

/** Return All and its Limit, as n8n's list operations have them. */
export const RETURN_ALL_AND_LIMIT: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
];
