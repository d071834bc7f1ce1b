'use strict';
// The AUTH answer of our SMTP test servers that accept one user and password (scripts/lib/limited-smtp.js,
// test/helpers/smtp-server.ts), for smtp-server's onAuth.

/**
 * Accepts `auth` when it names the expected user and password; refuses anything else with 535.
 * Returns whether it accepted.
 * @param {{ user: string, pass: string } | undefined} expected
 * @param {{ username?: string, password?: string }} auth
 * @param {(error: Error | null, response?: { user: string }) => void} callback
 */
function answerAuth(expected, auth, callback) {
	if (expected && auth.username === expected.user && auth.password === expected.pass) {
		callback(null, { user: auth.username });
		return true;
	}
	const refusal = new Error('5.7.8 Authentication credentials invalid');
	callback(Object.assign(refusal, { responseCode: 535 }));
	return false;
}

module.exports = { answerAuth };
