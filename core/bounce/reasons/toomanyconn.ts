/**
 * The sender opened too many connections or sessions.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/too many (?:connections|concurrent|simultaneous|sessions|recipients|messages|errors)/,
	/connection (?:limit|rate)/,
	/(?:concurrency|connection) limit/,
	/max(?:imum)? (?:number of )?connections/,
	/too many hosts/,
	/rate of connections/,
	/too many smtp/,
	/frequency limit/,
];
