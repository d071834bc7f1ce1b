/**
 * `npm run dev`'s port choice (scripts/lib/dev-ports.js) and dev folder (dev-folder.js): a taken
 * default gives way to a free port, a port asked for is kept, a taken editor port stops it early,
 * and an editor on another port has its own folder, so two run side by side.
 */
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

const ports = require('../../../scripts/lib/dev-ports') as {
	portIsFree(port: number): Promise<boolean>;
	portFor(
		args: { given: Set<string> },
		option: string,
		wanted: number,
		what: string,
		say: (line: string) => void,
	): Promise<number>;
	checkEditorPort(port: number): Promise<void>;
};
const folders = require('../../../scripts/lib/dev-folder') as {
	chooseDevFolder(port: number): void;
	devDir(): string;
	userFolder(): string;
};
const { REPO_ROOT } = require('../../../scripts/lib/n8n') as { REPO_ROOT: string };

let taken: Server | undefined;

afterEach(async () => {
	await new Promise<void>((resolve) => (taken ? taken.close(() => resolve()) : resolve()));
	taken = undefined;
});

/** Listens on a free 127.0.0.1 port, as a first `npm run dev` would, and returns it. */
async function takePort(): Promise<number> {
	taken = createServer();
	await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
	return (taken.address() as { port: number }).port;
}

describe('npm run dev: ports and folder', () => {
	it('keeps a free default, gives way to a free port when the default is taken, and keeps a port asked for', async () => {
		const port = await takePort();
		const lines: string[] = [];
		const say = (line: string) => lines.push(line);
		const none = { given: new Set<string>() };
		expect(await ports.portIsFree(port)).toBe(false);
		expect(await ports.portFor(none, '--msc-port', port, 'the MSC sandbox', say)).toBe(0);
		expect(lines).toEqual([
			`127.0.0.1:${port} is taken; the MSC sandbox takes a free port instead (--msc-port picks one)`,
		]);
		const asked = { given: new Set(['--msc-port']) };
		expect(await ports.portFor(asked, '--msc-port', port, 'the MSC sandbox', say)).toBe(port);

		await new Promise<void>((resolve) => taken!.close(() => resolve()));
		taken = undefined;
		expect(await ports.portFor(none, '--smtp-port', port, 'the mail catcher', say)).toBe(port);
		expect(lines).toHaveLength(1);
	});

	it('stops early when the editor port is taken (its health check would be answered by the other one)', async () => {
		const port = await takePort();
		await expect(ports.checkEditorPort(port)).rejects.toThrow(
			`127.0.0.1:${port} is taken (another npm run dev?): start this one with --port <another port>`,
		);
		await new Promise<void>((resolve) => taken!.close(() => resolve()));
		taken = undefined;
		await expect(ports.checkEditorPort(port)).resolves.toBeUndefined();
	});

	it('gives an editor on another port its own dev folder (n8n, database, MSC data, credentials)', () => {
		folders.chooseDevFolder(5678);
		expect(folders.devDir()).toBe(join(REPO_ROOT, '.dev'));
		folders.chooseDevFolder(5690);
		expect(folders.devDir()).toBe(join(REPO_ROOT, '.dev-5690'));
		expect(folders.userFolder()).toBe(join(REPO_ROOT, '.dev-5690', 'n8n'));
	});
});
