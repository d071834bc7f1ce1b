/** Every fault scenario, in the order the table prints them. Each area keeps its own file. */
import { scenarios as cancel } from './scenarios/cancel';
import { scenarios as gmail } from './scenarios/gmail';
import { scenarios as mailbox } from './scenarios/mailbox';
import { scenarios as msc } from './scenarios/msc';
import { scenarios as smtp } from './scenarios/smtp';
import type { FaultScenario } from './types';

export const allScenarios: FaultScenario[] = [...smtp, ...cancel, ...gmail, ...msc, ...mailbox];
