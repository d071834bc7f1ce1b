import { defineFuzzSuite } from './fuzz-helper';

// Part c of the fuzz run (seeds from 99000); see defineFuzzSuite in fuzz-helper.ts.
defineFuzzSuite('c', 99000);
