import { ConfigError } from '@receiptflow/core';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { describe, expect, it, vi } from 'vitest';
import { FaultInjector } from '../src/local/fault/fault-injector.js';
import { FAULT_EVENTS, parseFaultPlan, type FaultEvent } from '../src/local/fault/fault-plan.js';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { collectingLogger, specLines, TaggedOcr } from './support/fixtures.js';

describe('RECEIPTFLOW_FAULT', () => {
  it('parses kill-after:<event>[:n]; unset or empty arms nothing', () => {
    expect(parseFaultPlan(undefined)).toBeNull();
    expect(parseFaultPlan('')).toBeNull();
    expect(parseFaultPlan('kill-after:delta-words')).toEqual({ event: 'delta-words', occurrence: 1 });
    expect(parseFaultPlan('kill-after:merge-lines:2')).toEqual({ event: 'merge-lines', occurrence: 2 });
  });

  it('refuses anything else with a ConfigError naming the variable and the events', () => {
    for (const bad of [
      'kill-after:nope',
      'kill:delta-words',
      'kill-after:delta-words:0',
      'kill-after:delta-words:x',
      'KILL-AFTER:place-stored',
    ]) {
      let error: unknown;
      try {
        parseFaultPlan(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`RECEIPTFLOW_FAULT="${bad}"`);
      expect((error as Error).message).toContain('receipt-rows');
    }
  });

  it('fires once, at the planned occurrence of the planned event', () => {
    const fired: string[] = [];
    const fault = new FaultInjector({ event: 'delta-lines', occurrence: 2 }, (event, n) => fired.push(`${event}#${n}`));
    for (const event of ['delta-lines', 'delta-words', 'delta-lines', 'delta-lines'] as const) fault.passed(event);
    expect(fired).toEqual(['delta-lines#2']);
  });

  it(
    'the decorated local adapters report every pipeline event once per receipt, in pipeline order',
    { timeout: 30_000 },
    async () => {
      const ocr = new TaggedOcr();
      // Never fires (occurrence 99): the test watches what passes.
      const fault = new FaultInjector({ event: 'image-stored', occurrence: 99 }, () => undefined);
      const passed = vi.spyOn(fault, 'passed');
      const runtime = await LocalRuntime.open({ logger: collectingLogger(), ocr, catalog: syntheticCatalog(), fault });
      try {
        const receipt = demoReceipts()[0]!;
        await runtime.submit('r.png', 'image/png', ocr.register('r', specLines(receipt.spec)));
        await runtime.drain();
      } finally {
        await runtime.stop();
      }
      const events = passed.mock.calls.map(([event]) => event);
      // Compaction handles lines, then words, each promoted before the next collection starts.
      const expected: FaultEvent[] = [
        'image-stored',
        'job-created',
        'ocr-stored',
        'receipt-rows',
        'delta-lines',
        'delta-words',
        'place-stored',
        'run-created',
        'merge-lines',
        'promoted-lines',
        'merge-words',
        'promoted-words',
      ];
      expect(events).toEqual(expected);
      expect(events).toEqual([...FAULT_EVENTS]);
    },
  );
});
