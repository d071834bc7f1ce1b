'use strict';
// The command line of `npm run dev` (scripts/dev.js).

const USAGE = [
	'Usage: npm run dev [-- --check] [--reset] [--port 5678] [--smtp-port 1025] [--http-port 1080] [--no-http]',
	'                   [--msc-port 8025] [--msc-smtp-port 2526]',
	'  --check          execute the example workflow headless, check the catcher got the mail, start the',
	'                   editor, check it answers and the owner can sign in, then stop',
	'  --reset          delete the dev folder first (.dev/, or .dev-<port>/ with another --port)',
	'  --port           the n8n editor; another port than 5678 has its own dev folder .dev-<port>/, so',
	'                   two npm run dev run side by side (the other ports below give way by themselves)',
	'  --smtp-port      the mail catcher (SMTP); when not given and 1025 is taken, any free port',
	'  --http-port      the page listing the caught mail (--no-http: no page); when not given and 1080',
	'                   is taken, any free port',
	'  --msc-port       the MSC sandbox API; when not given and 8025 is taken, any free port',
	'  --msc-smtp-port  the MSC sandbox inbound SMTP (bounce reports); when not given and 2526 is taken,',
	'                   any free port',
	'  --custom-extensions  load dist/ through N8N_CUSTOM_EXTENSIONS instead of installing the packed',
	'                   package (quicker after a rebuild, but the editor then runs no credential test)',
].join('\n');

/**
 * @typedef {object} DevOptions
 * @property {boolean} check
 * @property {boolean} reset
 * @property {boolean} customExtensions  load dist/ as a custom extension, not as an installed package
 * @property {number} port  the n8n editor
 * @property {number} smtpPort  the mail catcher's SMTP port
 * @property {number} httpPort  the mail catcher's page
 * @property {boolean} http  serve the page
 * @property {number} mscPort  the MSC sandbox API (default 8025)
 * @property {number} mscSmtpPort  the MSC sandbox's inbound SMTP for reports (default 2526)
 * @property {Set<string>} given  the port options given on the command line (a taken default port
 *   is replaced by a free one; a taken port that was asked for is an error)
 */

/** @returns {DevOptions} */
function parseArgs(argv) {
	/** @type {DevOptions} */
	const a = {
		check: false,
		reset: false,
		port: 5678,
		smtpPort: 1025,
		httpPort: 1080,
		http: true,
		mscPort: 8025,
		mscSmtpPort: 2526,
		customExtensions: false,
		given: new Set(),
	};
	for (let i = 0; i < argv.length; i++) {
		const k = argv[i];
		const num = () => {
			const n = Number(argv[++i]);
			if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${k} needs a port number`);
			a.given.add(k);
			return n;
		};
		if (k === '--check') a.check = true;
		else if (k === '--reset') a.reset = true;
		else if (k === '--port') a.port = num();
		else if (k === '--smtp-port') a.smtpPort = num();
		else if (k === '--http-port') a.httpPort = num();
		else if (k === '--no-http') a.http = false;
		else if (k === '--custom-extensions') a.customExtensions = true;
		else if (k === '--msc-port') a.mscPort = num();
		else if (k === '--msc-smtp-port') a.mscSmtpPort = num();
		else if (k === '--help' || k === '-h') {
			console.log(USAGE);
			process.exit(0);
		} else throw new Error(`unknown argument ${k}`);
	}
	return a;
}

module.exports = { parseArgs, USAGE };
