import type { FaultScenario } from '../types';

export const scenarios: FaultScenario[] = [];
