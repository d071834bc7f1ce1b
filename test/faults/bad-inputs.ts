/**
 * The bad-input table: at least 60 inputs that must each fail their own item with a clear error
 * naming the field and the value, while the other items of the batch still go out.
 * Filled in by the input-validation work; `runBadInputTable` runs it, `npm run faults` prints it.
 */
export interface BadInputResult {
	label: string;
	field?: string;
	/** The item's error message as the user sees it. */
	error: string;
	/** e.g. "2/2" */
	othersSent: string;
	problems: string[];
}

export async function runBadInputTable(): Promise<BadInputResult[]> {
	return [];
}
