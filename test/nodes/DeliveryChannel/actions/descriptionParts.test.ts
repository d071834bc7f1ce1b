import type { INodeProperties } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';

const properties = new DeliveryChannel().description.properties;
const names = properties.map((property) => property.name);

describe('the node parameters built from the operations and the channels', () => {
	it("has one Options collection for Send, carrying Gmail's options for Gmail only", () => {
		const collections = properties.filter(
			(property) =>
				property.type === 'collection' && property.displayOptions?.show?.operation?.[0] === 'send',
		);
		expect(collections.map((property) => property.name)).toEqual(['options']);
		const options = collections[0].options as INodeProperties[];
		const gmail = options.filter((option) => option.displayOptions?.show?.['/channel']);
		expect(gmail.map((option) => option.name).sort()).toEqual([
			'sendsPerMinute',
			'timeoutSeconds',
			'unverifiedIdentity',
		]);
		for (const option of gmail)
			expect(option.displayOptions?.show?.['/channel']).toEqual(['gmail']);
		// The editor lists them by name.
		const shown = options.map((option) => option.displayName);
		expect(shown).toEqual([...shown].sort((a, b) => a.localeCompare(b)));
	});

	it('puts no channel-only field before the fields every Send needs', () => {
		const firstRequired = Math.min(
			...['identity', 'to', 'subject'].map((name) => names.indexOf(name)),
		);
		const channelOnly = properties
			.map((property, index) => ({ property, index }))
			.filter(
				({ property }) => property.type !== 'notice' && property.displayOptions?.show?.channel,
			)
			.filter(({ property }) => property.name !== 'authentication');
		expect(channelOnly.filter(({ index }) => index > 0 && index < firstRequired)).toEqual([]);
		expect(names).not.toContain('gmailOptions');
		expect(names).not.toContain('gmailUnverifiedIdentity');
	});

	it('shows one notice per channel, only for it', () => {
		const notices = properties.filter(
			(property) => property.type === 'notice' && property.displayOptions?.show?.channel,
		);
		expect(notices.map((notice) => notice.displayOptions?.show?.channel)).toEqual([
			['msc'],
			['gmail'],
			['smtp'],
		]);
		for (const notice of notices)
			expect(notice.displayName).toMatch(/To use another channel, pick or create a credential/);
	});
});
