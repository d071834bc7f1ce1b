/**
 * Reads node parameters per item, but resolves a parameter that holds no expression only once per
 * execution: its value is the same for every item, and n8n's per-call work (expression engine,
 * schema validation, resource locator extraction) is the largest cost of sending a big batch.
 */
import type { IExecuteFunctions, IGetNodeParameterOptions, NodeParameterValueType } from 'n8n-workflow';

const staticValues = new WeakMap<IExecuteFunctions, Map<string, unknown>>();

/** Whether a raw parameter value contains an n8n expression anywhere (strings starting with "="). */
export function containsExpression(value: unknown, depth = 0): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (depth > 20 || value === null || typeof value !== 'object') return false;
	if (Array.isArray(value)) return value.some((entry) => containsExpression(entry, depth + 1));
	return Object.values(value).some((entry) => containsExpression(entry, depth + 1));
}

export function itemParameter(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback: NodeParameterValueType | object,
	options?: IGetNodeParameterOptions,
): unknown {
	let cache = staticValues.get(context);
	if (!cache) {
		cache = new Map();
		staticValues.set(context, cache);
	}
	const key = options?.extractValue ? `${name}#extracted` : name;
	if (cache.has(key)) return cache.get(key);
	const value = context.getNodeParameter(name, itemIndex, fallback, options);
	const raw = context.getNodeParameter(name, itemIndex, fallback, { rawExpressions: true });
	if (!containsExpression(raw)) cache.set(key, value);
	return value;
}
