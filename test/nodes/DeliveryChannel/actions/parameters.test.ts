import type { IExecuteFunctions } from 'n8n-workflow';

import {
	containsExpression,
	itemParameter,
	parameterError,
	parameterLabels,
} from '../../../../nodes/DeliveryChannel/actions/parameters';
import { description } from '../../../../nodes/DeliveryChannel/actions/send.operation';
import { DeliveryError } from '../../../../core/errors';

describe('containsExpression', () => {
	it.each([
		['=', true],
		['={{ $json.email }}', true],
		[{ attachments: { attachment: [{ binaryPropertyName: '={{ $json.field }}' }] } }, true],
		[{ __rl: true, mode: 'address', value: '={{ $json.rep }}' }, true],
		['plain text with = inside', false],
		[{ cc: 'a@example.com', maxAttachmentSizeMb: 25, inline: false }, false],
		[null, false],
		[42, false],
	])('%j -> %s', (value, expected) => {
		expect(containsExpression(value)).toBe(expected);
	});

	it('finds an expression at any depth, as n8n evaluates at any depth', () => {
		let deep: unknown = ['={{ $json.email }}'];
		for (let level = 0; level < 10_000; level++) deep = { next: deep };
		expect(containsExpression(deep)).toBe(true);
		expect(containsExpression({ a: [{ b: { c: 'x' } }, 'y'] })).toBe(false);
	});
});

describe('itemParameter', () => {
	function fakeContext(parameters: Record<string, unknown>) {
		const evaluations: string[] = [];
		const context = {
			getNodeParameter(
				name: string,
				itemIndex: number,
				_fallback: unknown,
				options?: { rawExpressions?: boolean },
			) {
				const raw = parameters[name];
				if (options?.rawExpressions) return raw;
				evaluations.push(`${name}@${itemIndex}`);
				return typeof raw === 'string' && raw.startsWith('=')
					? `${raw.slice(1)}#${itemIndex}`
					: raw;
			},
		} as unknown as IExecuteFunctions;
		return { context, evaluations };
	}

	it('resolves a static parameter once per execution and an expression for every item', () => {
		const { context, evaluations } = fakeContext({ subject: 'Hello', to: '=email' });
		for (let item = 0; item < 3; item++) {
			expect(itemParameter(context, 'subject', item, '')).toBe('Hello');
			expect(itemParameter(context, 'to', item, '')).toBe(`email#${item}`);
		}
		expect(evaluations).toEqual(['subject@0', 'to@0', 'to@1', 'to@2']);
	});

	it('hands every item its own copy of a per-run setting', () => {
		const options = { cc: 'a@example.com', headers: { header: [{ name: 'X-A' }] } };
		const { context, evaluations } = fakeContext({ options });
		const first = itemParameter(context, 'options', 0, {}) as {
			cc: string;
			headers: { header: unknown[] };
		};
		first.cc = 'changed by item 0';
		first.headers.header.push({ name: 'X-B' });
		expect(itemParameter(context, 'options', 1, {})).toEqual(options);
		expect(options).toEqual({ cc: 'a@example.com', headers: { header: [{ name: 'X-A' }] } });
		expect(evaluations).toEqual(['options@0']);
	});

	it('keeps separate caches per execution', () => {
		const first = fakeContext({ subject: 'A' });
		const second = fakeContext({ subject: 'B' });
		expect(itemParameter(first.context, 'subject', 0, '')).toBe('A');
		expect(itemParameter(second.context, 'subject', 0, '')).toBe('B');
	});
});

describe('parameterError', () => {
	const labels = parameterLabels(description);

	it('knows the names users see, for fields and options', () => {
		expect(labels.get('to')).toBe('To Email');
		expect(labels.get('options.cc')).toBe('CC Email');
		expect(labels.get('options.maxAttachmentSizeMb')).toBe('Max Attachment Size (MB)');
	});

	it('names the option whose expression failed and shows that expression', () => {
		const options = {
			cc: '={{ $("Nope").item.json.cc }}',
			bcc: '={{ $json.bcc }}',
			replyTo: 'r@example.com',
		};
		const raw: Record<string, unknown> = { options };
		const context = {
			getNodeParameter(
				name: string,
				_itemIndex: number,
				_fallback: unknown,
				options?: { rawExpressions?: boolean },
			) {
				if (options?.rawExpressions) return raw[name];
				if (name === 'options.cc')
					throw Object.assign(new Error("Referenced node doesn't exist"), {
						description: 'Check the node name.',
					});
				return 'fine';
			},
		} as unknown as IExecuteFunctions;
		const error = parameterError(
			context,
			'options',
			3,
			new Error("Referenced node doesn't exist"),
			labels,
		) as DeliveryError;
		expect(error).toBeInstanceOf(DeliveryError);
		expect(error.field).toBe('options.cc');
		expect(error.message).toBe(
			'The expression in CC Email could not be evaluated for this item (Referenced node doesn\'t exist): "={{ $(\\"Nope\\").item.json.cc }}"',
		);
		expect(error.hint).toBe('Check the node name.');
	});

	it('passes input errors through unchanged', () => {
		const original = new DeliveryError('To Email is empty', { code: 'EINPUT', field: 'to' });
		expect(parameterError({} as IExecuteFunctions, 'to', 0, original, labels)).toBe(original);
	});
});
