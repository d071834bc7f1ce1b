'use strict';
// The options of scripts/queue/run.js.

const fixtures = require('./fixtures');

const USAGE = `Usage: node scripts/queue/run.js [options]    (Node 24: scripts/node24.sh; root for apt-get/postgres)
  --scenarios=unlimited,conn3,conn3-delay,rate60   any of these, or remote (3 conns + 60/min + 150 ms),
               or gmail (the fake Google of test/fakes/gmail with a per-user quota; ours only)
  --nodes=ours,builtin     --count=300     --concurrency=30 (calls at a time; a list, 1,10,30: one row each)
  --mode=queue|regular     queue: main + workers (default); regular: one n8n process runs everything
  --max-connections=3      --delay=150 (ms per reply)      --per-minute=60    the SMTP scenarios' limits
  --gmail-units=6000 --gmail-window=60 (s)   the fake Gmail's per-user quota (a send costs 100 units);
               its answers take --delay ms
  --credential-limits=server|none   our Custom SMTP credential's Max Connections and Messages per
               Minute: the scenario server's limits (default), or left automatic
  --credential-max-connections=N  --credential-per-minute=N   set them to N instead
  --workers=2              --worker-concurrency=10         --passes=1 (2: the same calls again)
  --idempotency-key[=EXPR] ours: set Send option idempotencyKey (default ={{ $json.body.leadId }}-intro)
  --kill-worker=N|Ns       in pass 1 of every row, SIGKILL worker 1 once the server has N messages,
               or N seconds into the pass (Ns)
  --restart-worker=S       start the killed worker again S seconds after the kill (else before the next row)
  --package=FILE.tgz (else the checkout is compiled and packed)  --from-head (pack the last commit)
  --env=KEY=VALUE (repeatable; {redisPort} {redisPassword} are replaced) for every n8n process
  --timeout=900 (s per webhook call)   --json=FILE (all numbers)   --log-level=info
  --warmup=4 (calls per workflow before the rows, not counted: each worker loads the nodes)
  --check   exit 1 unless ours kept the guarantees of issue 11 (report.js check): every lead once,
            no failed execution, no refusal by the server; later passes send nothing new and answer
            --duplicate-status=duplicate; with --kill-worker: no lead twice, every lead accounted for
  --ci      the proof for CI: --scenarios=remote --nodes=ours --count=120 --idempotency-key
            --passes=2 --check (later options change it)
  --help
KEEP_TMP=1 keeps the temporary folder (logs of every process, the database).`;

/** Per scenario: the kind of server and its limits, from the options. */
const SCENARIOS = {
	unlimited: { target: 'smtp', limits: () => ({}) },
	conn3: { target: 'smtp', limits: (a) => ({ maxConnections: a.maxConnections }) },
	'conn3-delay': {
		target: 'smtp',
		limits: (a) => ({ maxConnections: a.maxConnections, delayMs: a.delay }),
	},
	rate60: { target: 'smtp', limits: (a) => ({ perMinute: a.perMinute }) },
	remote: {
		target: 'smtp',
		limits: (a) => ({ maxConnections: a.maxConnections, delayMs: a.delay, perMinute: a.perMinute }),
	},
	gmail: {
		target: 'gmail',
		limits: (a) => ({ units: a.gmailUnits, windowMs: a.gmailWindow * 1000, latencyMs: a.delay }),
	},
};

const CI = ['--scenarios=remote', '--nodes=ours', '--count=120', '--idempotency-key', '--passes=2'];
const FLAGS = new Set(['fromHead', 'check', 'help']);

function parseArgs(argv) {
	const a = {
		scenarios: ['unlimited', 'conn3', 'conn3-delay', 'rate60'],
		nodes: ['ours', 'builtin'],
		count: 300,
		concurrency: 30,
		concurrencies: [30],
		mode: 'queue',
		maxConnections: 3,
		delay: 150,
		perMinute: 60,
		gmailUnits: 6000,
		gmailWindow: 60,
		workers: 2,
		workerConcurrency: 10,
		passes: 1,
		idempotencyKey: '',
		credentialLimits: 'server',
		credentialMaxConnections: 0,
		credentialPerMinute: 0,
		killWorker: '',
		restartWorker: -1,
		package: '',
		fromHead: false,
		env: {},
		timeout: 900,
		warmup: 4,
		check: false,
		help: false,
		duplicateStatus: 'duplicate',
		json: '',
		logLevel: 'info',
	};
	const camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
	const args = argv.includes('--ci')
		? [...CI, '--check', ...argv.filter((x) => x !== '--ci')]
		: argv;
	for (const arg of args) {
		const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
		if (!m) throw new Error(`unknown argument ${arg} (--help lists the options)`);
		const key = camel(m[1]);
		const value = m[2];
		if (key === 'scenarios' || key === 'nodes') a[key] = (value || '').split(',').filter(Boolean);
		else if (key === 'concurrency') {
			a.concurrencies = (value || '').split(',').filter(Boolean).map(Number);
			if (!a.concurrencies.length || a.concurrencies.some((c) => !Number.isInteger(c) || c < 1))
				throw new Error(
					`--concurrency is a whole number of calls at a time or a list (1,10,30), not ${value}`,
				);
			a.concurrency = Math.max(...a.concurrencies);
		} else if (key === 'idempotencyKey')
			a.idempotencyKey = value || fixtures.DEFAULT_IDEMPOTENCY_KEY;
		else if (FLAGS.has(key)) a[key] = true;
		else if (key === 'env') {
			const eq = (value || '').indexOf('=');
			if (eq < 1) throw new Error(`--env needs KEY=VALUE, got ${value}`);
			a.env[value.slice(0, eq)] = value.slice(eq + 1);
		} else if (!(key in a)) throw new Error(`unknown option --${m[1]} (--help lists the options)`);
		else if (typeof a[key] === 'number') {
			a[key] = Number(value);
			if (!Number.isFinite(a[key]) || a[key] < 0) throw new Error(`--${m[1]} needs a number`);
		} else a[key] = value ?? '';
	}
	if (a.help) return a;
	for (const s of a.scenarios)
		if (!SCENARIOS[s])
			throw new Error(`unknown scenario ${s}: ${Object.keys(SCENARIOS).join(', ')}`);
	for (const n of a.nodes)
		if (!fixtures.NODES[n])
			throw new Error(`unknown node ${n}: ${Object.keys(fixtures.NODES).join(', ')}`);
	if (!['server', 'none'].includes(a.credentialLimits))
		throw new Error(`--credential-limits is server or none, not ${a.credentialLimits}`);
	if (!a.count || !a.concurrency || !a.passes)
		throw new Error('--count, --concurrency and --passes must be at least 1');
	if (!['queue', 'regular'].includes(a.mode))
		throw new Error(`--mode is queue or regular, not ${a.mode}`);
	if (a.mode === 'regular') a.workers = 0;
	if (a.killWorker) {
		const m = /^(\d+)(s?)$/.exec(a.killWorker);
		if (!m || !Number(m[1]))
			throw new Error(
				`--kill-worker is a number of messages or of seconds (20s), not ${a.killWorker}`,
			);
		if (!a.workers) throw new Error('--kill-worker needs queue mode and at least one worker');
		a.kill = { after: Number(m[1]), unit: m[2] ? 'seconds' : 'messages' };
	}
	return a;
}

/** When the worker is killed, in words. */
function describeKill(kill) {
	return kill.unit === 'seconds' ? `${kill.after} s into the pass` : `after ${kill.after} messages`;
}

/**
 * Our Custom SMTP credential's limits for a scenario's server limits: the server's own (as a user
 * would copy them from the provider's documentation), unless set or turned off.
 */
function credentialLimits(a, limits) {
	const server = a.credentialLimits === 'server';
	return {
		maxConnections: a.credentialMaxConnections || (server ? limits.maxConnections || 0 : 0),
		messagesPerMinute: a.credentialPerMinute || (server ? limits.perMinute || 0 : 0),
	};
}

module.exports = { parseArgs, credentialLimits, describeKill, SCENARIOS, USAGE };
