import { defineFuzzSuite } from './fuzz-helper';

// Part b of the fuzz run (seeds from 98000); see defineFuzzSuite in fuzz-helper.ts.
defineFuzzSuite('b', 98000);
