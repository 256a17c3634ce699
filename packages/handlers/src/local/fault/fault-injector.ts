import { writeSync } from 'node:fs';
import type { FaultEvent, FaultPlan } from './fault-plan.js';

/** What happens when the planned event passes; the default is a real SIGKILL of this process. */
export type FaultAction = (event: FaultEvent, occurrence: number) => void;

/**
 * Counts pipeline events and fires the planned fault at its occurrence. The default action
 * writes one line to stderr (synchronously, so it is not lost) and sends SIGKILL to this
 * process: nothing after the event runs, no `finally`, no flush, as with `kill -9`.
 */
export class FaultInjector {
  private readonly seen = new Map<FaultEvent, number>();

  constructor(
    readonly plan: FaultPlan,
    private readonly action: FaultAction = killThisProcess,
  ) {}

  passed(event: FaultEvent): void {
    const occurrence = (this.seen.get(event) ?? 0) + 1;
    this.seen.set(event, occurrence);
    if (event === this.plan.event && occurrence === this.plan.occurrence) this.action(event, occurrence);
  }
}

function killThisProcess(event: FaultEvent, occurrence: number): void {
  writeSync(2, `receiptflow fault: SIGKILL after ${event} #${occurrence}\n`);
  process.kill(process.pid, 'SIGKILL');
}
