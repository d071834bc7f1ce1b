'use strict';
// jest.e2e.config.js testSequencer: the parts of the end-to-end test in a fixed order, the
// seeded-secret check last (it scans what all the others left). Parts not listed run before it.

const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ORDER = ['smtp', 'community-package', 'msc-command', 'msc', 'gmail', 'mailsystem', 'oauth2'];
const LAST = 'seeded-secrets';

/** @param {{ path: string }} test */
function rank(test) {
	const name = path.basename(test.path).replace(/\.e2e\.ts$/, '');
	if (name === LAST) return ORDER.length + 1;
	const i = ORDER.indexOf(name);
	return i === -1 ? ORDER.length : i;
}

class E2eSequencer extends Sequencer {
	/** @param {import('@jest/test-result').Test[]} tests */
	sort(tests) {
		return [...tests].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
	}
}

module.exports = E2eSequencer;
