/**
 * MSC servers: the managed sending service (the default channel). MSC sends from the account's
 * Email Identities, relays through its own servers (so recipients may see "via <sending domain>"),
 * and receives every bounce, so it can list every failed delivery.
 */
import { defineChannel } from '../define';
import type { Channel, ChannelSession, FailedDeliveryQuery, OutgoingMessage } from '../types';
import { testMscCredential } from './credentialTest';
import { listFailedDeliveries } from './failedDeliveries';
import { sendMessage, type ApiIdentity } from './send';
import { DEFAULT_RETRY, type RetryPolicy } from './settings';
import { MSC_CREDENTIAL, MscApi, type MscHttpContext } from './transport';

/** Sends in flight at once per execution; the API's 429 answers slow it further when needed. */
const CONCURRENCY = 5;

class MscSession implements ChannelSession {
	readonly concurrency = CONCURRENCY;

	constructor(private readonly api: MscApi) {}

	async send(message: OutgoingMessage) {
		return await sendMessage(this.api, message);
	}

	async listFailedDeliveries(query: FailedDeliveryQuery) {
		return await listFailedDeliveries(this.api, query);
	}

	async close(): Promise<void> {}
}

/** The MSC channel with a given retry timing (the registry uses DEFAULT_RETRY). */
export function mscChannelWithPolicy(policy: RetryPolicy): Channel {
	return defineChannel({
		key: 'msc',
		displayName: 'MSC Servers',
		description: 'The managed sending service; knows every failed delivery',
		notice:
			"MSC Servers: the managed sending service sends as the rep's Email Identity. Some recipients see" +
			' "via" the service\'s domain, which signs the mail and receives the bounces, so Failed ' +
			"Deliveries knows every failed delivery. Needs an MSC server (see the package's README).",
		credentialType: MSC_CREDENTIAL,
		keepsIdempotencyKeys: true,

		async open(context, { signal }) {
			return new MscSession(
				await MscApi.fromContext(context as unknown as MscHttpContext, policy, signal),
			);
		},

		async testCredential(credentials, context) {
			return await testMscCredential(context, credentials, policy);
		},

		async listIdentities(context) {
			const api = await MscApi.fromContext(context as unknown as MscHttpContext, policy);
			const response = await api.request<{ data: ApiIdentity[] }>('GET', '/v1/identities');
			return (response.body?.data ?? []).map((identity) => ({
				address: identity.address,
				name: identity.name,
				flag: identity.verified ? undefined : 'Not verified',
			}));
		},
	});
}

export const mscChannel: Channel = mscChannelWithPolicy(DEFAULT_RETRY);
