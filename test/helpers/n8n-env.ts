/**
 * Side-effect module, imported first by test/helpers/n8n.ts. n8n-core's InstanceSettings writes an
 * encryption key to `$N8N_USER_FOLDER/.n8n/config` (the home folder by default) and the binary-data
 * store lives below it, so each test file gets a throw-away folder, removed after its tests.
 * n8n-core reads these variables lazily (at the first Container.get), not at import time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const folder = mkdtempSync(join(tmpdir(), 'n8n-nodes-delivery-channel-test-'));
process.env.N8N_USER_FOLDER = folder;

const removeFolder = () => rmSync(folder, { recursive: true, force: true });
if (typeof afterAll === 'function') {
	afterAll(removeFolder);
} else {
	process.once('exit', removeFolder);
}

// n8n-core warns about the config file's permissions unless told what to do.
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS ??= 'false';
// n8n-core logs every node error (with stack) through its ErrorReporter; tests expect errors, so keep
// quiet unless asked (N8N_LOG_LEVEL=debug npx jest ... to see the engine's logs).
process.env.N8N_LOG_LEVEL ??= 'silent';

export const N8N_USER_FOLDER = folder;
