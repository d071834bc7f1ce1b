'use strict';
// jest.e2e.config.js globalTeardown: stops what is left, removes the run's folder unless KEEP_TMP=1.

const { finishRun } = require('./e2e-run');

module.exports = async function globalTeardown() {
	await finishRun();
};
