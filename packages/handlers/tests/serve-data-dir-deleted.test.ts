import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { collectingLogger, specLines, TaggedOcr } from './support/fixtures.js';

// Found when a test's scratch folder was deleted under a `receipts serve --data .data` it had
// just sent SIGTERM: the serve never exited and spun a core for as long as it was left. Node's
// recursive mkdir of a relative path loops for ever once the working directory is gone, and the
// stop's checkpoint made one. The data directory is now made absolute when the stores open.

/** Settles with 'settled' or 'hung' after `ms`; a hang must not hold the test up for ever. */
function within(ms: number, promise: Promise<unknown>): Promise<'settled' | 'hung'> {
  return Promise.race([
    promise.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms).unref()),
  ]);
}

describe('a serve whose working directory is deleted', () => {
  it('still stops (a relative --data does not hang the checkpoint)', { timeout: 120_000 }, async () => {
    const home = process.cwd();
    const scratch = await mkdtemp(join(tmpdir(), 'rf-cwd-gone-'));
    process.chdir(scratch);
    try {
      const ocr = new TaggedOcr();
      const receipt = demoReceipts()[0]!;
      const runtime = await LocalRuntime.open({
        logger: collectingLogger(),
        dataDir: '.data',
        ocr,
        catalog: syntheticCatalog(),
      });
      await runtime.submit('r.png', 'image/png', ocr.register('r', specLines(receipt.spec)));
      await runtime.drain();
      await rm(scratch, { recursive: true, force: true });
      // The stop checkpoints the vectors the receipt added: its files' folders are made again.
      expect(await within(60_000, runtime.stop())).toBe('settled');
    } finally {
      process.chdir(home);
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
