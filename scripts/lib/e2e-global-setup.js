'use strict';
// jest.e2e.config.js globalSetup: installs n8n once, builds and packs the package once (scripts/lib/e2e-run.js).

const { prepareRun } = require('./e2e-run');

module.exports = async function globalSetup() {
	await prepareRun();
};
