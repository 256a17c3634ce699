import { expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { ExportArtifacts } from '../ports/export-artifacts.js';
import { type ContractSubject, defineContract } from './contract-helpers.js';

/** A presigned export download as a browser following the 303 would read it; null when the store answers 404. */
export type FetchExportDownload = (url: string) => Promise<{ body: Uint8Array; contentType: string | null } | null>;

/**
 * What an ExportArtifacts contract factory returns: the adapter over a fresh, empty bucket, and
 * how to follow one of its URLs (default: an HTTP GET, right for S3 emulators on 127.0.0.1).
 */
export interface ExportArtifactsContractSubject extends ContractSubject<ExportArtifacts> {
  fetchDownload?: FetchExportDownload;
}

/**
 * GETs a presigned URL over HTTP: the body and content type, or null for a 404 (S3's NoSuchKey).
 *
 * @example
 * const got = await fetchExportDownload((await artifacts.presignDownload(key, 60)).url);
 */
export async function fetchExportDownload(
  url: string,
): Promise<{ body: Uint8Array; contentType: string | null } | null> {
  const response = await fetch(url);
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET of a presigned export failed: ${response.status} ${await response.text()}`);
  return { body: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get('content-type') };
}

async function* chunksOf(...texts: string[]): AsyncIterable<string> {
  for (const text of texts) {
    await Promise.resolve();
    yield text;
  }
}

/** Exports larger than one S3 multipart part (5 MiB): 13 chunks of 1 MiB, each its own letter. */
function* megabytes(count: number): Iterable<string> {
  for (let i = 0; i < count; i++) yield String.fromCharCode(97 + (i % 26)).repeat(1024 * 1024 - 1) + '\n';
}

/**
 * The promises of {@link ExportArtifacts}: streamed chunks in order as UTF-8, with their
 * content type, behind a short-lived GET URL; nothing stored when the chunk source fails; keys
 * only under `exports/`.
 *
 * @example
 * describeExportArtifactsContract('S3ExportArtifacts on fauxqs', async () => ({ subject: new S3ExportArtifacts(client, { bucket }) }));
 */
export const describeExportArtifactsContract = defineContract<ExportArtifacts, ExportArtifactsContractSubject>(
  'ExportArtifacts',
  (artifacts, fixture) => {
    const download = async (key: string) => {
      const short = await artifacts.presignDownload(key, 60);
      const { url, expires_at } = await artifacts.presignDownload(key, 900);
      // The lifetime is read against the URL signed just before (core tests read no wall clock).
      const longer = Date.parse(expires_at) - Date.parse(short.expires_at);
      expect(longer).toBeGreaterThan(830_000);
      expect(longer).toBeLessThanOrEqual(850_000);
      return (fixture().fetchDownload ?? fetchExportDownload)(url);
    };

    it('stores the chunks in order as UTF-8 with the content type, and counts the bytes', async () => {
      const texts = ['image_id,merchant\r\n', 'a1,Café Ünïcode €\r\n', 'b2,"Smith, J."\r\n'];
      const key = 'exports/alice/e1.csv';
      const stored = await artifacts.put(key, chunksOf(...texts), 'text/csv; charset=utf-8');
      const expected = new TextEncoder().encode(texts.join(''));
      expect(stored).toEqual({ key, bytes: expected.length });
      const got = await download(key);
      expect(new TextDecoder().decode(got!.body)).toBe(texts.join(''));
      expect(got!.contentType).toMatch(/^text\/csv/);
    });

    it('an export larger than a multipart part arrives whole, in order', async () => {
      const key = 'exports/alice/big.jsonl';
      async function* big(): AsyncIterable<string> {
        for (const chunk of megabytes(13)) yield chunk;
      }
      const stored = await artifacts.put(key, big(), 'application/x-ndjson');
      expect(stored.bytes).toBe(13 * 1024 * 1024);
      const got = await download(key);
      expect(got!.body.length).toBe(13 * 1024 * 1024);
      // Each megabyte is its own letter: a part written twice, lost or out of order shows here.
      const letters = Array.from({ length: 13 }, (_, i) => String.fromCharCode(got!.body[i * 1024 * 1024]!));
      expect(letters.join('')).toBe('abcdefghijklm');
      expect(got!.body[13 * 1024 * 1024 - 1]).toBe(0x0a);
    });

    it('an empty export is an empty object', async () => {
      const stored = await artifacts.put('exports/alice/empty.jsonl', chunksOf(), 'application/x-ndjson');
      expect(stored.bytes).toBe(0);
      expect((await download('exports/alice/empty.jsonl'))!.body.length).toBe(0);
    });

    it('a chunk source that throws rethrows its error and leaves no object', async () => {
      const boom = new Error('the listing failed');
      async function* failing(): AsyncIterable<string> {
        yield 'image_id\r\n';
        for (const chunk of megabytes(6)) yield chunk; // past one part, so a multipart upload had begun
        throw boom;
      }
      await expect(artifacts.put('exports/alice/failed.csv', failing(), 'text/csv')).rejects.toBe(boom);
      expect(await download('exports/alice/failed.csv')).toBeNull();
    });

    it('refuses keys outside exports/ and URL lifetimes outside 1..3600 s, naming them', async () => {
      await expect(artifacts.put('raw/alice/x.csv', chunksOf('x'), 'text/csv')).rejects.toThrow(ValidationError);
      await expect(artifacts.put('exports/../raw/x.csv', chunksOf('x'), 'text/csv')).rejects.toThrow(/key/);
      await expect(artifacts.presignDownload('raw/x.csv', 60)).rejects.toThrow(/key/);
      await expect(artifacts.presignDownload('exports/alice/x.csv', 0)).rejects.toThrow(/expires/);
      await expect(artifacts.presignDownload('exports/alice/x.csv', 3601)).rejects.toThrow(/expires/);
    });
  },
);
