/** The API's only error shape: an RFC 9457 problem, as docs/msc-api.openapi.yaml declares it. */
import type * as Api from '../../core/msc-api';

export const PROBLEM_BASE = 'https://msc.example/problems/';

export type ProblemCode = Api.Problem['code'];

export class Problem extends Error {
	constructor(
		readonly status: number,
		readonly code: ProblemCode,
		readonly title: string,
		readonly detail: string,
		readonly extra: Partial<Api.Problem> & Record<string, unknown> = {},
		readonly headers: Record<string, string> = {},
	) {
		super(detail);
	}

	toJSON(): Api.Problem {
		return {
			type: `${PROBLEM_BASE}${this.code}`,
			title: this.title,
			status: this.status,
			detail: this.detail,
			code: this.code,
			...this.extra,
		};
	}
}

/** One answer of the API: a status, a JSON body and any headers. */
export interface ApiResponse {
	status: number;
	body: object;
	headers?: Record<string, string>;
}

/** The answer to a send whose outcome the sandbox cannot know; kept for its idempotency key. */
export function unknownResultProblem(): Api.Problem {
	return new Problem(
		502,
		'upstream-result-unknown',
		'Result unknown',
		'The connection to the receiving server broke after the whole message was handed over; ' +
			'it may have been delivered, so it is not sent again.',
		{ retryable: false },
	).toJSON();
}
