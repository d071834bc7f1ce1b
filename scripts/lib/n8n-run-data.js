'use strict';
// Reading what `n8n execute --rawOutput` printed: the run (IRun) and the items of one node.

/**
 * The parts of an n8n run (IRun) the tests read. Items are plain objects: { json, pairedItem, ... }.
 * @typedef {{ json?: any, pairedItem?: any, [key: string]: any }} N8nItem
 * @typedef {{ executionTime?: number, data?: { main?: N8nItem[][] }, [key: string]: any }} N8nTaskData
 * @typedef {{ message?: string, description?: string, node?: { name?: string } }} N8nRunError
 * @typedef {{
 *   status?: string,
 *   data?: { resultData: { runData: Record<string, N8nTaskData[]>, error?: N8nRunError } },
 *   [key: string]: any,
 * }} N8nRun
 */

/**
 * Finds the run JSON that `n8n execute --rawOutput` prints after its log lines:
 * JSON.stringify(data, null, 2) puts only the outermost braces in column 0. At log level info the
 * braces stand alone on their lines; at debug the logger prefixes the first line with
 * "<time> | info  | " and appends the log metadata ({"file":...}) to the last. Tries every
 * candidate, returns the last one that parses as a run.
 * @param {string} text
 * @returns {N8nRun | null}
 */
function parseRunOutput(text) {
	const lines = String(text || '')
		.split('\n')
		.map((line) => line.replace(/\r$/, ''));
	const opening = /^(?:\S+ \| \w+\s*\| )?\{$/;
	const closing = /^\}(?: \{.*\})?$/;
	let found = null;
	for (let i = 0; i < lines.length; i++) {
		if (!opening.test(lines[i])) continue;
		for (let j = i + 1; j < lines.length; j++) {
			if (!closing.test(lines[j])) continue;
			try {
				const obj = JSON.parse(['{', ...lines.slice(i + 1, j), '}'].join('\n'));
				if (obj && obj.data && obj.data.resultData) found = obj;
			} catch {
				// not JSON after all
			}
			i = j;
			break;
		}
	}
	return found;
}

/**
 * The runs of one node in an execution (array of ITaskData), or [].
 * @param {N8nRun} runData
 * @param {string} nodeName
 * @returns {N8nTaskData[]}
 */
function nodeRuns(runData, nodeName) {
	return (runData && runData.data && runData.data.resultData.runData[nodeName]) || [];
}

/**
 * Output items of a node's first run, first output (or the output given).
 * @param {N8nRun} runData
 * @param {string} nodeName
 * @returns {N8nItem[]}
 */
function nodeItems(runData, nodeName, output = 0) {
	const r = nodeRuns(runData, nodeName)[0];
	return (r && r.data && r.data.main && r.data.main[output]) || [];
}

/**
 * A short description of the execution's error, or null when it has none.
 * @param {N8nRun} runData
 */
function runError(runData) {
	const e = runData && runData.data && runData.data.resultData.error;
	if (!e) return null;
	return [e.message, e.description].filter(Boolean).join(' - ');
}

module.exports = { parseRunOutput, nodeRuns, nodeItems, runError };
