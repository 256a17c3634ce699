import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OcrDocument, OcrEngine, PlaceCandidate } from '@receiptflow/core';
import { demoReceipts, renderReceipt, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { loadCatalog } from '@receiptflow/handlers/cli';

/** One receipt image, with the place it should resolve to when known. */
export interface CorpusImage {
  id: string;
  filename: string;
  bytes: Uint8Array;
  expectedPlaceId: string | null;
}

/** The receipts P3 and P6 run on, and where they came from (said in the output). */
export interface Corpus {
  source: 'sroie-dev' | 'synthetic-demo';
  description: string;
  images: CorpusImage[];
  catalog: PlaceCandidate[];
}

/**
 * The SROIE dev set (every `ID.jpg` with its `ID.json`, ascending id, as eval reads it) with the
 * places catalog, when both exist; otherwise the synthetic demo receipts with their catalog.
 */
export async function loadCorpus(dataset: string, places: string): Promise<Corpus> {
  if (existsSync(dataset) && existsSync(places)) {
    const files = (await readdir(dataset)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    const images: CorpusImage[] = [];
    for (const filename of files) {
      const id = filename.replace(/\.[^.]+$/, '');
      const truthFile = join(dataset, `${id}.json`);
      const truth = existsSync(truthFile)
        ? (JSON.parse(await readFile(truthFile, 'utf8')) as { place_id?: string })
        : {};
      images.push({
        id,
        filename,
        bytes: await readFile(join(dataset, filename)),
        expectedPlaceId: truth.place_id ?? null,
      });
    }
    if (images.length > 0) {
      return {
        source: 'sroie-dev',
        description: `${images.length} SROIE dev scans from ${dataset}`,
        images,
        catalog: await loadCatalog(places),
      };
    }
  }
  const images: CorpusImage[] = [];
  for (const receipt of demoReceipts()) {
    images.push({
      id: receipt.id,
      filename: `${receipt.id}.png`,
      bytes: (await renderReceipt(receipt.spec)).png,
      expectedPlaceId: receipt.truth.place_id,
    });
  }
  return {
    source: 'synthetic-demo',
    description: `${images.length} synthetic demo receipts (dataset not found at ${dataset})`,
    images,
    catalog: syntheticCatalog(),
  };
}

const digest = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex');

/**
 * Passes OCR to `inner` and keeps every document by image content, so that later measurements
 * can replay them without OCR ({@link ReplayOcrEngine}).
 */
export class RecordingOcrEngine implements OcrEngine {
  readonly documents = new Map<string, OcrDocument>();

  constructor(private readonly inner: OcrEngine) {}

  get name(): string {
    return this.inner.name;
  }

  async recognize(image: Uint8Array): Promise<OcrDocument> {
    const document = await this.inner.recognize(image);
    this.documents.set(digest(image), document);
    return document;
  }

  documentOf(image: Uint8Array): OcrDocument | undefined {
    return this.documents.get(digest(image));
  }
}

/** Answers with documents recorded earlier: the pipeline after OCR, with OCR taken out. */
export class ReplayOcrEngine implements OcrEngine {
  readonly name = 'replay';
  private readonly documents = new Map<string, OcrDocument>();

  constructor(entries: readonly { bytes: Uint8Array; document: OcrDocument }[]) {
    for (const e of entries) this.documents.set(digest(e.bytes), e.document);
  }

  /** Answers `document` for `bytes` too (another upload of a recorded receipt). */
  add(bytes: Uint8Array, document: OcrDocument): void {
    this.documents.set(digest(bytes), document);
  }

  async recognize(image: Uint8Array): Promise<OcrDocument> {
    const document = this.documents.get(digest(image));
    if (!document) throw new Error('replay OCR: no recorded document for this image');
    return structuredClone(document);
  }
}
