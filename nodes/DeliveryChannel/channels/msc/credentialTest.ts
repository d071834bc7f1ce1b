/**
 * The "Test" button of the MSC credential: reads the key's account. It runs here rather than as a
 * declarative test on the credential so the Base URL is checked first (https:// unless this
 * computer) and a redirect is reported instead of followed with the key.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { DeliveryError } from '../../../../core/errors';
import {
	MSC_UNREACHABLE_HINT,
	problemError,
	readProblem,
	redirectError,
	unreachableMessage,
} from './errors';
import { baseUrlOf, timeoutOf, type RetryPolicy } from './settings';

interface LegacyFullResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

function failed(error: DeliveryError | Error): INodeCredentialTestResult {
	const hint = error instanceof DeliveryError && error.hint ? ` ${error.hint}` : '';
	return { status: 'Error', message: `${error.message}.${hint}`.replace(/\.\./g, '.') };
}

export async function testMscCredential(
	context: ICredentialTestFunctions,
	credentials: ICredentialDataDecryptedObject,
	policy: RetryPolicy,
): Promise<INodeCredentialTestResult> {
	let baseUrl: string;
	let timeout: number;
	try {
		baseUrl = baseUrlOf(credentials);
		timeout = timeoutOf(credentials, policy.timeoutMs);
	} catch (error) {
		return failed(error as Error);
	}
	const url = `${baseUrl}/v1/account`;
	let response: LegacyFullResponse;
	try {
		response = (await context.helpers.request({
			method: 'GET',
			uri: url,
			headers: {
				Authorization: `Bearer ${String(credentials.apiKey ?? '')}`,
				Accept: 'application/json',
			},
			json: true,
			timeout,
			// The key is never repeated to wherever a redirect points.
			followRedirect: false,
			followAllRedirects: false,
			sendCredentialsOnCrossOriginRedirect: false,
			simple: false,
			resolveWithFullResponse: true,
		})) as LegacyFullResponse;
	} catch (error) {
		const code =
			(error as { code?: unknown; cause?: { code?: unknown } }).code ??
			(error as { cause?: { code?: unknown } }).cause?.code;
		const known = typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? code : undefined;
		return {
			status: 'Error',
			message: `${unreachableMessage(baseUrl, known)}. ${MSC_UNREACHABLE_HINT}`,
		};
	}
	const status = response.statusCode;
	if (status >= 300 && status < 400) {
		const location = response.headers.location;
		return failed(
			redirectError(baseUrl, status, Array.isArray(location) ? location[0] : location, url),
		);
	}
	if (status >= 400) return failed(problemError(readProblem(response.body, status), status));
	const account = (response.body ?? {}) as { name?: unknown; sendingDomain?: unknown };
	if (typeof account.name !== 'string') {
		return {
			status: 'Error',
			message: `${url} answered, but not with an MSC account. Check the Base URL (without /v1).`,
		};
	}
	const domain =
		typeof account.sendingDomain === 'string' ? `, sending domain ${account.sendingDomain}` : '';
	return { status: 'OK', message: `Connection successful: account "${account.name}"${domain}` };
}
