/**
 * Ties the MSC client's requests to a cancel signal: a request in flight is let go of at once, and
 * n8n is handed the same signal so it aborts the request on the wire too.
 */

/** The signal aborted while the request was on its way. */
export class Cancelled extends Error {}

/** The promise, or a Cancelled rejection as soon as the signal aborts (whichever comes first). */
export function untilCancelled<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
	if (!signal) return promise;
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(new Cancelled());
		if (signal.aborted) onAbort();
		signal.addEventListener('abort', onAbort, { once: true });
		promise.then(
			(value) => {
				signal.removeEventListener('abort', onAbort);
				resolve(value);
			},
			(error: unknown) => {
				signal.removeEventListener('abort', onAbort);
				reject(error);
			},
		);
	});
}

/**
 * n8n-core sets every authenticated request's abort signal to the context's execution cancel signal,
 * replacing one the request carries: the session's signal is offered through that same method, so
 * cancelling the session aborts the request on the wire too.
 */
export function withCancelSignal<
	T extends { getExecutionCancelSignal?(): AbortSignal | undefined },
>(context: T, signal: AbortSignal): T {
	const own = context.getExecutionCancelSignal?.();
	const combined = own && own !== signal ? AbortSignal.any([own, signal]) : signal;
	return Object.create(context, {
		getExecutionCancelSignal: { value: () => combined },
	}) as T;
}
