/**
 * core/msc-api.ts is generated from docs/msc-api.openapi.yaml (npm run generate:msc-api): the API's
 * one contract. Regenerating it into a temporary file must give the committed file, byte for byte,
 * so a change to the YAML without the types (or the reverse) fails here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const committed = join(root, 'core', 'msc-api.ts');

/** The same command lines as the generate:msc-api script, into `file` (formatted as the tree is). */
function generate(file: string): string {
	const bin = (name: string) => join(root, 'node_modules', '.bin', name);
	const types = spawnSync(
		bin('openapi-typescript'),
		['docs/msc-api.openapi.yaml', '-o', file, '--root-types', '--root-types-no-schema-prefix'],
		{
			cwd: root,
			encoding: 'utf8',
		},
	);
	if (types.status !== 0) throw new Error(`openapi-typescript failed: ${types.stderr}`);
	// Formatted with the file's own name, so prettier applies the repository's settings to it.
	const format = spawnSync(bin('prettier'), ['--stdin-filepath', committed], {
		cwd: root,
		encoding: 'utf8',
		input: readFileSync(file, 'utf8'),
	});
	if (format.status !== 0) throw new Error(`prettier failed: ${format.stderr}`);
	return format.stdout;
}

describe('MSC API types', () => {
	const folder = mkdtempSync(join(tmpdir(), 'msc-api-types-'));
	afterAll(() => rmSync(folder, { recursive: true, force: true }));

	it('are up to date with docs/msc-api.openapi.yaml (run npm run generate:msc-api after changing it)', () => {
		const fresh = generate(join(folder, 'msc-api.ts'));
		expect(readFileSync(committed, 'utf8')).toBe(fresh);
	}, 30_000);
});
