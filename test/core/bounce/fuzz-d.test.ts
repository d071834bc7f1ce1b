import { defineFuzzSuite } from './fuzz-helper';

// Part d of the fuzz run (seeds from 100000); see defineFuzzSuite in fuzz-helper.ts.
defineFuzzSuite('d', 100000);
