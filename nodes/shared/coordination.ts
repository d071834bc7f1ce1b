/**
 * The n8n side of coordination: which sending account an execution uses (the channel and the n8n
 * credential it sends with) and the process-wide coordinator its environment names.
 */
import type { IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

import { processCoordinator, type Coordinator } from '../../core/coordination';
import { DeliveryError } from '../../core/errors';
import { channelCredentialType } from '../DeliveryChannel/channels/authentication';
import type { Channel } from '../DeliveryChannel/channels/types';

/**
 * The sending account: `<channel>:<credential id>`. Idempotency keys are unique within it, and its
 * limits count every execution, workflow and worker that sends with the same credential.
 */
export function sendingAccount(
	context: IExecuteFunctions | IPollFunctions,
	channel: Pick<Channel, 'key' | 'credentialType' | 'authentications'>,
): string {
	const credential = context.getNode().credentials?.[channelCredentialType(channel, context)];
	return `${channel.key}:${credential?.id ?? credential?.name ?? 'default'}`;
}

/**
 * Opens a process-wide store the environment configures; a wrong setting there stops the batch and
 * says where to fix it.
 */
export function fromEnvironment<T>(open: () => T): T {
	try {
		return open();
	} catch (error) {
		if (error instanceof DeliveryError) {
			throw new DeliveryError(`${error.message} (an environment variable of the n8n process)`, {
				code: 'EINPUT',
				field: error.field,
				stopsBatch: true,
				hint: 'Fix the variable where n8n is started (docker-compose, systemd unit, shell) and restart n8n.',
			});
		}
		throw error;
	}
}

/** The coordinator of this n8n process; a wrong setting in its environment stops the batch. */
export function sharedCoordinator(): Coordinator {
	return fromEnvironment(() => processCoordinator());
}
