/**
 * The editor as users see it (`npm run test:editor`): n8n with the packed package installed as a
 * community package, signed in through Chromium; the node panel, the parameters per channel, the
 * operation choices and the Custom SMTP credential dialog with a wrong port. Screenshots go to
 * docs/images/ (EDITOR_SCREENSHOTS names another folder).
 */
import type { Browser, Page } from 'playwright-core';

import { SETUP_TIMEOUT, note, usePart } from '../e2e/support';

const lib = require('../../scripts/lib/editor-browser') as {
	startEditorN8n(run: object): Promise<{
		n8n: { importWorkflow(wf: object): Promise<unknown> };
		server: { url: string };
		owner: { email: string; password: string };
	}>;
	openBrowser(): Promise<{ browser: Browser; page: Page }>;
	signIn(page: Page, url: string, owner: { email: string; password: string }): Promise<void>;
	screenshot(page: Page, name: string): Promise<string>;
};
const workflow = require('./channels.workflow.json') as { id: string };

const part = usePart('editor');
const STEP = 120_000;

describe('the editor in Chromium (n8n with the package installed from npm pack)', () => {
	let browser: Browser | undefined;
	let page: Page;
	let url: string;

	beforeAll(async () => {
		const started = await lib.startEditorN8n(part().run);
		url = started.server.url;
		await started.n8n.importWorkflow(workflow);
		({ browser, page } = await lib.openBrowser());
		await lib.signIn(page, url, started.owner);
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (browser) await browser.close();
	});

	/** Searches the open node panel for `query`; returns the names listed. */
	async function searchNodes(query: string): Promise<string[]> {
		await page.locator('[data-test-id="node-creator-search-bar"]').fill(query);
		await page.waitForTimeout(500);
		return await page.locator('[data-test-id="node-creator-item-name"]').allInnerTexts();
	}

	test(
		'the node panel finds the package by "delivery", "email" and "bounce"; its events and actions',
		async () => {
			await page.goto(`${url}/workflow/new`);
			await page.locator('[data-test-id="node-creator-plus-button"]').click();
			for (const query of ['delivery', 'email', 'bounce']) {
				const names = await searchNodes(query);
				note([`"${query}": ${names.join(', ')}`]);
				expect(names).toContain('Delivery Channel');
			}
			await searchNodes('delivery');
			await page
				.locator('[data-test-id="node-creator-item-name"]', { hasText: 'Delivery Channel' })
				.click();
			const panel = page.locator('[data-test-id="node-creator"]');
			await panel.getByText(/^Actions \(\d+\)$/).click();
			await page.waitForTimeout(500);
			const text = await panel.innerText();
			note(text.split('\n').filter(Boolean));
			await lib.screenshot(page, 'editor-node-panel');
			expect(text).toContain('On failed delivery');
			expect(text).not.toMatch(/On on /i);
			expect(text).toContain('Send an email via a delivery channel');
			expect(text).toContain('Get failed deliveries');
		},
		STEP,
	);

	test(
		'with a trigger on the canvas, the node panel entry of the action node and its description',
		async () => {
			await page.goto(`${url}/workflow/${workflow.id}`);
			await page.locator('[data-test-id="node-creator-plus-button"]').click();
			await searchNodes('delivery');
			const item = page
				.locator('[data-test-id="item-iterator-item"]')
				.filter({ hasText: 'Delivery Channel' })
				.first();
			const text = await item.innerText();
			// n8n 2.40.7 lists one entry for both nodes here, named like the node, with the trigger's
			// description (generateMergedNodesAndActions), which therefore speaks for both.
			note([`entry: ${text.replace(/\n+/g, ' | ')}`]);
			await lib.screenshot(page, 'editor-node-panel-action');
			expect(text).toMatch(/Send email through/);
			expect(text).toMatch(/when a delivery fails/);
			expect(text).toContain('Delivery Channel');
			await page.keyboard.press('Escape');
		},
		STEP,
	);

	/** Opens the node of the channels workflow by name; returns its parameters' names in order. */
	async function openNode(name: string): Promise<string[]> {
		await page.goto(`${url}/workflow/${workflow.id}`);
		await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).dblclick();
		const params = page.locator('[data-test-id="node-parameters"]');
		await params.waitFor();
		await page.waitForTimeout(500);
		const ids = await params
			.locator('[data-test-id$="-parameter-input-options-container"]')
			.evaluateAll((els) => els.map((el) => el.getAttribute('data-test-id') ?? ''));
		return ids.map((id) => id.replace(/-parameter-input-options-container$/, ''));
	}

	const channels = [
		{
			node: 'Via MSC',
			shot: 'editor-parameters-msc',
			subtitle: 'Send via MSC Servers',
			notice: 'MSC Servers:',
		},
		{
			node: 'Via Gmail',
			shot: 'editor-parameters-gmail',
			subtitle: 'Send via Gmail',
			notice: 'Gmail:',
		},
		{
			node: 'Via SMTP',
			shot: 'editor-parameters-smtp',
			subtitle: 'Send via Custom SMTP',
			notice: 'Custom SMTP:',
		},
	];
	const notices = channels.map((channel) => channel.notice);
	const seen: Record<string, string[]> = {};

	test.each(channels)(
		'$node: the channel notice, the Send fields in order, the subtitle says the channel',
		async ({ node, shot, subtitle, notice }) => {
			const fields = await openNode(node);
			seen[node] = fields;
			const text = await page.locator('[data-test-id="node-parameters"]').innerText();
			const shown = text.split('\n').find((line) => line.startsWith(notice)) ?? '';
			note([`fields: ${fields.join(', ')}`, `notice: ${shown}`]);
			// The channel is folded into the credential picker: its notice says which one and how to switch.
			expect(shown).toContain('To use another channel, pick or create a credential');
			for (const other of notices.filter((n) => n !== notice)) expect(text).not.toContain(other);
			await lib.screenshot(page, shot);
			// Identity, To, Subject come in this order on every channel.
			const order = ['identity', 'to', 'subject'].map((f) => fields.indexOf(f));
			expect(order.every((i) => i >= 0)).toBe(true);
			expect([...order].sort((a, b) => a - b)).toEqual(order);
			await page.keyboard.press('Escape');
			const card = page.locator(`[data-test-id="canvas-node"][data-node-name="${node}"]`);
			expect(await card.innerText()).toContain(subtitle);
		},
		STEP,
	);

	test(
		'the Operation list (and whether n8n adds Custom API Call) and whether a Channel field shows',
		async () => {
			await openNode('Via SMTP');
			await page.locator('[data-test-id="parameter-input-operation"]').click();
			const options = page.locator('.el-select-dropdown__item:visible, [role="option"]:visible');
			await options.first().waitFor();
			const names = (await options.allInnerTexts()).map((t) => t.split('\n')[0]);
			const channelShown = Object.values(seen).some((fields) => fields.includes('channel'));
			note([`Operation: ${names.join(' | ')}`, `a Channel field shows: ${channelShown}`]);
			expect(names).toContain('Send via Delivery Channel');
			expect(names).toContain('Failed Deliveries');
			await page.keyboard.press('Escape');
		},
		STEP,
	);

	/** The parameter names of the open credential dialog, in order. */
	async function credentialFields(modal: ReturnType<Page['locator']>): Promise<string[]> {
		const ids = await modal
			.locator('[data-test-id^="parameter-input-"]:not([data-test-id="parameter-input-field"])')
			.evaluateAll((els) => els.map((el) => el.getAttribute('data-test-id') ?? ''));
		return ids.map((id) => id.replace(/^parameter-input-/, ''));
	}

	/** Opens the credential dialog from a node of the channels workflow. */
	async function openCredential(node: string) {
		await openNode(node);
		await page
			.locator('[data-test-id="node-credentials-slot"]')
			.getByRole('button')
			.first()
			.click();
		const modal = page.locator('[data-test-id="editCredential-modal"]');
		await modal.waitFor();
		await page.waitForTimeout(500);
		return modal;
	}

	test.each([
		{ node: 'Via MSC', shot: 'editor-credential-msc', first: 'baseUrl' },
		{ node: 'Via Gmail', shot: 'editor-credential-gmail', first: 'clientId' },
	])(
		'$node: the credential dialog opens with its fields',
		async ({ node, shot, first }) => {
			const modal = await openCredential(node);
			const fields = await credentialFields(modal);
			note([`title: ${(await modal.innerText()).split('\n')[0]}`, `fields: ${fields.join(', ')}`]);
			await lib.screenshot(page, shot);
			expect(fields.length).toBeGreaterThan(0);
			expect(fields).toContain(first);
			await page.keyboard.press('Escape');
		},
		STEP,
	);

	test(
		'Custom SMTP credential: a wrong port is tested on save and the error shows in the dialog',
		async () => {
			const modal = await openCredential('Via SMTP');
			note([`fields: ${(await credentialFields(modal)).join(', ')}`]);
			await lib.screenshot(page, 'editor-credential-smtp');
			await modal.locator('[data-test-id="parameter-input-host"] input').fill('127.0.0.1');
			await modal.locator('[data-test-id="parameter-input-port"] input').fill('1');
			await modal.locator('[data-test-id="credential-save-button"]').click();
			// n8n tests the credential on save: "Couldn't connect with these settings", then the
			// channel's own message under "More details".
			await modal.getByText(/Couldn.t connect with these settings/).waitFor({ timeout: 60_000 });
			await modal.getByText('More details').click();
			const error = modal.getByText(/Connection refused/i).first();
			await error.waitFor();
			const shown = await error.innerText();
			note([`shown: ${shown}`]);
			await lib.screenshot(page, 'editor-credential-smtp-wrong-port');
			expect(shown).toMatch(/127\.0\.0\.1:1/);
		},
		STEP,
	);
});
