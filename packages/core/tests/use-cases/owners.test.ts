import { describe, expect, it } from 'vitest';
import { DEFAULT_OWNER, ValidationError, ownerOf, submitJob } from '@receiptflow/core';
import { PNG_BYTES, demoReceipts, pipeline, specLines } from './harness.js';

const [first] = demoReceipts(1);
const LINES = specLines(first!.spec);

describe('owners: an upload belongs to who sent it, and so do its receipts', () => {
  it("stores the uploader's owner on the image and copies it onto every receipt built from it", async () => {
    const p = pipeline();
    const r = await p.ingest(LINES, 'receipt.png', { owner: 'alice@example.com' });
    expect((await p.jobs.getImage(r.image_id))?.owner).toBe('alice@example.com');
    const stored = await p.receipts.get(r.image_id, 1);
    expect(stored?.receipt.owner).toBe('alice@example.com');
    expect(ownerOf(stored!.receipt)).toBe('alice@example.com');
  });

  it('an upload without an owner belongs to the default owner, and its rows say nothing', async () => {
    const p = pipeline();
    const r = await p.ingest(LINES);
    const image = await p.jobs.getImage(r.image_id);
    const stored = await p.receipts.get(r.image_id, 1);
    expect(image).not.toHaveProperty('owner');
    expect(stored!.receipt).not.toHaveProperty('owner');
    expect(ownerOf(image!)).toBe(DEFAULT_OWNER);
    expect(ownerOf(stored!.receipt)).toBe(DEFAULT_OWNER);
  });

  it('refuses an owner name that could not be a storage key, naming it, and stores nothing', async () => {
    const p = pipeline();
    for (const owner of ['', 'a#b', 'x'.repeat(129), 'has space']) {
      const attempt = submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body: PNG_BYTES, owner });
      await expect(attempt).rejects.toThrow(ValidationError);
      await expect(attempt).rejects.toThrow(/owner/);
    }
    expect(await p.raw.list('raw/')).toEqual([]);
  });
});
