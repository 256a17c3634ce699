import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OcrDocument, OcrEngine } from '@receiptflow/core';
import { FsCachingOcrEngine } from '../../src/ocr/index.js';

/** An engine that counts its reads and answers with the image's first byte as text. */
function countingEngine() {
  const engine = {
    name: 'fake',
    reads: 0,
    async recognize(image: Uint8Array): Promise<OcrDocument> {
      engine.reads++;
      return {
        engine: 'fake',
        image_width: 10,
        image_height: 20,
        lines: [
          {
            text: `byte ${image[0]}`,
            confidence: 0.9,
            bounding_box: { x: 0, y: 0, width: 1, height: 1 },
            top_left: { x: 0, y: 1 },
            top_right: { x: 1, y: 1 },
            bottom_left: { x: 0, y: 0 },
            bottom_right: { x: 1, y: 0 },
            angle_degrees: 0,
            angle_radians: 0,
            words: [],
          },
        ],
      } as unknown as OcrDocument;
    },
  };
  return engine as OcrEngine & { reads: number };
}

describe('FsCachingOcrEngine', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ocr-cache-'));
    dirs.push(dir);
    return dir;
  };

  it('reads an image once; the same bytes under the same settings come from disk', async () => {
    const dir = await tempDir();
    const inner = countingEngine();
    const ocr = new FsCachingOcrEngine(inner, { dir, settings: 'psm6' });
    const first = await ocr.recognize(Uint8Array.of(7, 1));
    const again = await new FsCachingOcrEngine(inner, { dir, settings: 'psm6' }).recognize(Uint8Array.of(7, 1));
    expect(again).toEqual(first);
    expect(inner.reads).toBe(1);
    await ocr.recognize(Uint8Array.of(8, 1));
    expect(inner.reads).toBe(2);
  });

  it('other settings are another key: a changed setting never serves a stale read', async () => {
    const dir = await tempDir();
    const inner = countingEngine();
    await new FsCachingOcrEngine(inner, { dir, settings: 'psm6' }).recognize(Uint8Array.of(7));
    await new FsCachingOcrEngine(inner, { dir, settings: 'psm6:sauvola' }).recognize(Uint8Array.of(7));
    expect(inner.reads).toBe(2);
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });

  it('a corrupt cache file is counted, recomputed and overwritten, never served', async () => {
    const dir = await tempDir();
    const inner = countingEngine();
    const ocr = new FsCachingOcrEngine(inner, { dir, settings: 's' });
    await writeFile(join(dir, `${ocr.keyOf(Uint8Array.of(7))}.json`), '{"engine": "fake", "lines": [');
    const doc = await ocr.recognize(Uint8Array.of(7));
    expect(doc.lines[0]?.text).toBe('byte 7');
    expect(ocr.stats).toEqual({ hits: 0, misses: 1, corrupt: 1 });
    await ocr.recognize(Uint8Array.of(7));
    expect(ocr.stats.hits).toBe(1);
  });
});
