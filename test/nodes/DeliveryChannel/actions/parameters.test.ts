import type { IExecuteFunctions } from 'n8n-workflow';

import { containsExpression, itemParameter } from '../../../../nodes/DeliveryChannel/actions/parameters';

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
});

describe('itemParameter', () => {
	function fakeContext(parameters: Record<string, unknown>) {
		const evaluations: string[] = [];
		const context = {
			getNodeParameter(name: string, itemIndex: number, _fallback: unknown, options?: { rawExpressions?: boolean }) {
				const raw = parameters[name];
				if (options?.rawExpressions) return raw;
				evaluations.push(`${name}@${itemIndex}`);
				return typeof raw === 'string' && raw.startsWith('=') ? `${raw.slice(1)}#${itemIndex}` : raw;
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

	it('keeps separate caches per execution', () => {
		const first = fakeContext({ subject: 'A' });
		const second = fakeContext({ subject: 'B' });
		expect(itemParameter(first.context, 'subject', 0, '')).toBe('A');
		expect(itemParameter(second.context, 'subject', 0, '')).toBe('B');
	});
});
