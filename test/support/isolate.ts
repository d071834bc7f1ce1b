/**
 * Each test file gets its own n8n user folder, so what the node keeps there (the idempotency ledger
 * and daily counts of core/coordination) never leaks between files or runs, nor into the home folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const folder = mkdtempSync(join(tmpdir(), 'dc-n8n-user-'));
process.env.N8N_USER_FOLDER = folder;
delete process.env.DELIVERY_CHANNEL_REDIS_URL;
delete process.env.DELIVERY_CHANNEL_COORDINATION;
delete process.env.EXECUTIONS_MODE;

afterAll(() => rmSync(folder, { recursive: true, force: true }));
