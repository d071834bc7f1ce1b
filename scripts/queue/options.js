'use strict';
// The options of scripts/queue/run.js.
//
// Usage: node scripts/queue/run.js [options]     (Node 24: scripts/node24.sh; root for apt-get/postgres)
//   --scenarios=unlimited,conn3,conn3-delay,rate60   any of these, or `remote` (3 conns + 60/min + 150 ms)
//   --nodes=ours,builtin     --count=300     --concurrency=30 (calls at a time)
//   --max-connections=3      --delay=150 (ms per reply)      --per-minute=60    the scenarios' limits
//   --workers=2              --worker-concurrency=10         --passes=1 (2: the same calls again)
//   --idempotency-key[=EXPR] ours: set Send option idempotencyKey (default ={{ $json.body.leadId }}-intro)
//   --credential-max-connections=N   our credential's Max Connections (default: the credential's default)
//   --package=FILE.tgz (else the checkout is compiled and packed)  --from-head (pack the last commit)
//   --env=KEY=VALUE (repeatable; {redisPort} {redisPassword} are replaced) for every n8n process
//   --timeout=900 (s per webhook call)   --json=FILE (all numbers)   --log-level=info
//   --warmup=4 (calls per workflow before the rows, not counted: each worker loads the nodes)
//   --check   exit 1 unless ours kept the guarantees of issue 11 (report.js check): every lead once,
//             no failed execution, no refusal by the server; later passes send nothing new and answer
//             --duplicate-status=duplicate
// KEEP_TMP=1 keeps the temporary folder (logs of every process, the database).

const fixtures = require('./fixtures');

/** Server limits per scenario name, from the options. */
const SCENARIOS = {
	unlimited: () => ({}),
	conn3: (a) => ({ maxConnections: a.maxConnections }),
	'conn3-delay': (a) => ({ maxConnections: a.maxConnections, delayMs: a.delay }),
	rate60: (a) => ({ perMinute: a.perMinute }),
	remote: (a) => ({ maxConnections: a.maxConnections, delayMs: a.delay, perMinute: a.perMinute }),
};

function parseArgs(argv) {
	const a = {
		scenarios: ['unlimited', 'conn3', 'conn3-delay', 'rate60'],
		nodes: ['ours', 'builtin'],
		count: 300,
		concurrency: 30,
		maxConnections: 3,
		delay: 150,
		perMinute: 60,
		workers: 2,
		workerConcurrency: 10,
		passes: 1,
		idempotencyKey: '',
		credentialMaxConnections: 0,
		package: '',
		fromHead: false,
		env: {},
		timeout: 900,
		warmup: 4,
		check: false,
		duplicateStatus: 'duplicate',
		json: '',
		logLevel: 'info',
	};
	const camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
	for (const arg of argv) {
		const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
		if (!m) throw new Error(`unknown argument ${arg} (see the head of scripts/queue/run.js)`);
		const key = camel(m[1]);
		const value = m[2];
		if (key === 'scenarios' || key === 'nodes') a[key] = value.split(',').filter(Boolean);
		else if (key === 'idempotencyKey') a.idempotencyKey = value || fixtures.DEFAULT_IDEMPOTENCY_KEY;
		else if (key === 'fromHead' || key === 'check') a[key] = true;
		else if (key === 'env') {
			const eq = value.indexOf('=');
			if (eq < 1) throw new Error(`--env needs KEY=VALUE, got ${value}`);
			a.env[value.slice(0, eq)] = value.slice(eq + 1);
		} else if (!(key in a)) throw new Error(`unknown option --${m[1]}`);
		else if (typeof a[key] === 'number') {
			a[key] = Number(value);
			if (!Number.isFinite(a[key]) || a[key] < 0) throw new Error(`--${m[1]} needs a number`);
		} else a[key] = value;
	}
	for (const s of a.scenarios)
		if (!SCENARIOS[s])
			throw new Error(`unknown scenario ${s}: ${Object.keys(SCENARIOS).join(', ')}`);
	for (const n of a.nodes)
		if (!fixtures.NODES[n])
			throw new Error(`unknown node ${n}: ${Object.keys(fixtures.NODES).join(', ')}`);
	if (!a.count || !a.concurrency || !a.passes)
		throw new Error('--count, --concurrency and --passes must be at least 1');
	return a;
}

module.exports = { parseArgs, SCENARIOS };
