'use strict';
// The Gmail credential's data for the fake Google of test/fakes/gmail, shared by the real-n8n
// end-to-end part (scripts/lib/e2e-gmail.js) and the jest harness of the Gmail channel.

/**
 * The fields of the Gmail OAuth2 credential that point it at the fake (its client and endpoints),
 * with mailbox reading on and the given token data, as n8n stores them after "Connect".
 * @param {{ client: { id: string, secret: string }, authUrl: string, tokenUrl: string, apiBaseUrl: string }} fake
 * @param {object} oauthTokenData
 */
function fakeGmailCredential(fake, oauthTokenData) {
	return {
		clientId: fake.client.id,
		clientSecret: fake.client.secret,
		authUrl: fake.authUrl,
		accessTokenUrl: fake.tokenUrl,
		useCustomApiBaseUrl: true,
		apiBaseUrl: fake.apiBaseUrl,
		readMailbox: true,
		oauthTokenData,
	};
}

module.exports = { fakeGmailCredential };
