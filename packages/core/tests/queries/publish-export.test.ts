import { jobTableStores, InMemoryJobTable } from '@receiptflow/adapters-local';
import { describe, expect, it } from 'vitest';
import { makeReceiptDetails, makeReceiptFields } from '@receiptflow/core/testing';
import {
  EXPORT_URL_SECONDS,
  publishExport,
  ValidationError,
  type ExportArtifacts,
  type Receipt,
} from '../../src/index.js';

/** Records what is written, reading the chunks as a real store would (one at a time). */
function recordingArtifacts() {
  const written: { key: string; text: string; contentType: string }[] = [];
  const signed: { key: string; seconds: number }[] = [];
  const artifacts: ExportArtifacts = {
    async put(key, chunks, contentType) {
      let text = '';
      for await (const chunk of chunks) text += chunk;
      written.push({ key, text, contentType });
      return { key, bytes: new TextEncoder().encode(text).length };
    },
    presignDownload(key, seconds) {
      signed.push({ key, seconds });
      return Promise.resolve({ url: `https://exports.example/${key}?sig`, expires_at: '2030-01-01T00:15:00.000Z' });
    },
  };
  return { artifacts, written, signed };
}

describe('publishExport', () => {
  it("writes the owner's export under exports/<owner>/<id>.<ext> and signs it for 15 minutes", async () => {
    const { receipts, catalog } = jobTableStores(new InMemoryJobTable());
    for (const owner of ['alice', 'bob']) {
      await receipts.create(
        makeReceiptDetails({
          ...({ owner } as Partial<Receipt>),
          fields: makeReceiptFields({ date: { value: '2024-03-14', text: '', line_ids: [1], source: 'extracted' } }),
        }),
      );
    }
    const { artifacts, written, signed } = recordingArtifacts();
    const result = await publishExport({ catalog, artifacts, ids: { newId: () => 'e-1' } }, 'alice', 'jsonl');
    expect(written).toHaveLength(1);
    expect(written[0]!.key).toBe('exports/alice/e-1.jsonl');
    expect(written[0]!.contentType).toBe('application/x-ndjson');
    const lines = written[0]!.text.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ date: '2024-03-14' });
    expect(signed).toEqual([{ key: 'exports/alice/e-1.jsonl', seconds: EXPORT_URL_SECONDS }]);
    expect(EXPORT_URL_SECONDS).toBe(900);
    expect(result).toEqual({
      key: 'exports/alice/e-1.jsonl',
      bytes: written[0]!.text.length,
      url: 'https://exports.example/exports/alice/e-1.jsonl?sig',
      expires_at: '2030-01-01T00:15:00.000Z',
    });
  });

  it('a bad format or filter is a ValidationError naming it, and nothing is written', async () => {
    const { catalog } = jobTableStores(new InMemoryJobTable());
    const { artifacts, written } = recordingArtifacts();
    const deps = { catalog, artifacts, ids: { newId: () => 'e-2' } };
    await expect(publishExport(deps, 'alice', 'xml' as 'csv')).rejects.toThrow(/format/);
    await expect(publishExport(deps, 'alice', 'csv', { from: '2024-02-30' })).rejects.toThrow(ValidationError);
    await expect(publishExport(deps, 'alice', 'csv', { from: '2024-02-30' })).rejects.toThrow(/\bfrom\b/);
    expect(written).toEqual([]);
  });
});
