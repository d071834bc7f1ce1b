import { defineFuzzSuite } from './fuzz-helper';

// Part a of the fuzz run (seeds from 97000); see defineFuzzSuite in fuzz-helper.ts.
defineFuzzSuite('a', 97000);
