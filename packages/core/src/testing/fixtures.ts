import { axisAlignedGeometry } from '../domain/geometry.js';
import type {
  OcrDocument,
  OcrLine,
  CollectionProgress,
  CompactionRun,
  ImageRecord,
  OcrJob,
  PlacesCacheEntry,
  Receipt,
  ReceiptDetails,
  ReceiptFields,
  ReceiptLine,
  ReceiptPlace,
  ReceiptWord,
  RoutingDecision,
  SnapshotPointer,
  VectorRecord,
} from '../domain/index.js';

/**
 * Builders for valid domain records with sensible defaults. Every builder takes partial
 * overrides; ids default to fresh unique values so tests sharing one store never collide.
 */

/** The timestamp every fixture uses unless overridden (fixed, so records compare equal). */
export const FIXTURE_TIME = '2024-01-01T00:00:00.000Z';

/** A fresh id matching IdSchema, e.g. `img-3f2c…`. */
export function uniqueId(prefix = 'id'): string {
  return `${prefix}-${globalThis.crypto.randomUUID()}`;
}

export function makeImage(overrides: Partial<ImageRecord> = {}): ImageRecord {
  const image_id = overrides.image_id ?? uniqueId('img');
  return {
    image_id,
    filename: 'receipt.jpg',
    content_type: 'image/jpeg',
    s3_bucket: 'raw-bucket',
    s3_key: `raw/${image_id}/receipt.jpg`,
    upload_state: 'AWAITING_UPLOAD',
    size_bytes: null,
    created_at: FIXTURE_TIME,
    ...overrides,
  };
}

export function makeJob(overrides: Partial<OcrJob> = {}): OcrJob {
  const image_id = overrides.image_id ?? uniqueId('img');
  return {
    job_id: uniqueId('job'),
    image_id,
    status: 'PENDING',
    s3_bucket: 'raw-bucket',
    s3_key: `raw/${image_id}/receipt.jpg`,
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
    attempts: 0,
    results_sent_at: null,
    failure_reason: null,
    ...overrides,
  };
}

export function makeRoutingDecision(overrides: Partial<RoutingDecision> = {}): RoutingDecision {
  const image_id = overrides.image_id ?? uniqueId('img');
  const job_id = overrides.job_id ?? uniqueId('job');
  return {
    job_id,
    image_id,
    image_type: 'PHOTO',
    receipt_count: 1,
    ocr_s3_bucket: 'artifacts-bucket',
    ocr_s3_key: `ocr/${image_id}/${job_id}.json`,
    engine: 'tesseract',
    reason: 'camera photo with perspective',
    created_at: FIXTURE_TIME,
    ...overrides,
  };
}

/** How many lines and words {@link makeReceiptDetails} generates. */
export interface ReceiptDetailsShape {
  /** Default 3. */
  lineCount?: number;
  /** Default 3. */
  wordsPerLine?: number;
}

/**
 * A receipt with `lineCount` lines of `wordsPerLine` words each, with valid, non-overlapping
 * normalised geometry (lines top to bottom, words left to right). Word ids restart at 1 on
 * every line, as the job-table keys (`…#LINE#00002#WORD#00001`) expect. `line_count` and
 * `word_count` match the generated children unless overridden.
 */
export function makeReceiptDetails(overrides: Partial<Receipt> = {}, shape: ReceiptDetailsShape = {}): ReceiptDetails {
  const lineCount = shape.lineCount ?? 3;
  const wordsPerLine = shape.wordsPerLine ?? 3;
  const image_id = overrides.image_id ?? uniqueId('img');
  const receipt_id = overrides.receipt_id ?? 1;
  const lineHeight = 0.8 / Math.max(lineCount, 1);
  const lines: ReceiptLine[] = [];
  const words: ReceiptWord[] = [];
  for (let l = 1; l <= lineCount; l++) {
    // Origin bottom-left: line 1 is at the top.
    const y = 0.9 - l * lineHeight;
    const wordTexts: string[] = [];
    const wordWidth = 0.8 / Math.max(wordsPerLine, 1);
    for (let w = 1; w <= wordsPerLine; w++) {
      const text = `L${l}W${w}`;
      wordTexts.push(text);
      words.push({
        image_id,
        receipt_id,
        line_id: l,
        word_id: w,
        text,
        confidence: 0.95,
        ...axisAlignedGeometry({
          x: 0.1 + (w - 1) * wordWidth,
          y,
          width: wordWidth * 0.9,
          height: lineHeight * 0.8,
        }),
      });
    }
    lines.push({
      image_id,
      receipt_id,
      line_id: l,
      text: wordTexts.join(' '),
      confidence: 0.95,
      ...axisAlignedGeometry({ x: 0.1, y, width: 0.8, height: lineHeight * 0.8 }),
    });
  }
  return {
    receipt: {
      image_id,
      receipt_id,
      line_count: lines.length,
      word_count: words.length,
      created_at: FIXTURE_TIME,
      ...overrides,
    },
    lines,
    words,
  };
}

/**
 * Fields as the results step stores them, every kind present (date, money in minor units,
 * payment, a two-line item), naming lines 1..3 of a {@link makeReceiptDetails} receipt.
 *
 * @example
 * const details = makeReceiptDetails({ fields: makeReceiptFields() });
 */
export function makeReceiptFields(overrides: Partial<ReceiptFields> = {}): ReceiptFields {
  return {
    date: { value: '2024-03-14', text: '03/14/2024', line_ids: [1], source: 'extracted' },
    total: { minor: 1250, currency: 'USD', text: '$12.50', line_ids: [3], source: 'extracted' },
    subtotal: { minor: 1150, currency: 'USD', text: '11.50', line_ids: [2], source: 'extracted' },
    tax: { minor: 100, currency: 'USD', text: '1.00', line_ids: [2], source: 'extracted' },
    payment_method: { value: 'card', text: 'VISA', line_ids: [3], source: 'user' },
    line_items: [
      {
        description: 'FLAT WHITE',
        quantity: 2,
        unit_price: { minor: 575, currency: 'USD' },
        amount: { minor: 1150, currency: 'USD' },
        line_ids: [1, 2],
        source: 'extracted',
      },
    ],
    ...overrides,
  };
}

/**
 * The same receipt (same ids, same counts) with every line and word text marked by `tag`: what
 * a duplicate delivery with other OCR text would write, so a test can tell whose rows are stored.
 *
 * @example
 * const [a, b] = ['A', 'B'].map((tag) => relabeledReceipt(details, tag));
 */
export function relabeledReceipt(details: ReceiptDetails, tag: string): ReceiptDetails {
  const copy = structuredClone(details);
  for (const line of copy.lines) line.text = `${tag} ${line.text}`;
  for (const word of copy.words) word.text = `${tag}${word.text}`;
  return copy;
}

export function makeReceiptPlace(overrides: Partial<ReceiptPlace> = {}): ReceiptPlace {
  return {
    image_id: uniqueId('img'),
    receipt_id: 1,
    merchant_name: "Trader Joe's",
    place_id: 'ChIJ-trader-joes-123',
    address: '123 Main St, Springfield, CA 90000, USA',
    phone: '+1 555-010-0123',
    confidence: 0.93,
    source: 'places',
    evidence: ['phone', 'address'],
    created_at: FIXTURE_TIME,
    ...overrides,
  };
}

function makeProgress(deltaKey: string, overrides: Partial<CollectionProgress> = {}): CollectionProgress {
  return {
    state: 'PENDING',
    delta_key: deltaKey,
    vector_count: 3,
    merged_count: null,
    error: null,
    updated_at: FIXTURE_TIME,
    attempts: 0,
    ...overrides,
  };
}

/** Overrides of `lines` / `words` are merged into the default progress of that collection. */
export type CompactionRunOverrides = Partial<Omit<CompactionRun, 'lines' | 'words'>> & {
  lines?: Partial<CollectionProgress>;
  words?: Partial<CollectionProgress>;
};

export function makeCompactionRun(overrides: CompactionRunOverrides = {}): CompactionRun {
  const run_id = overrides.run_id ?? uniqueId('run');
  const { lines, words, ...rest } = overrides;
  return {
    run_id,
    image_id: uniqueId('img'),
    receipt_id: 1,
    created_at: FIXTURE_TIME,
    ...rest,
    lines: makeProgress(`deltas/lines/${run_id}.json`, lines),
    words: makeProgress(`deltas/words/${run_id}.json`, words),
  };
}

export function makePlacesCacheEntry(overrides: Partial<PlacesCacheEntry> = {}): PlacesCacheEntry {
  return {
    key: `phone:+1555${Math.floor(Math.random() * 1e7)
      .toString()
      .padStart(7, '0')}`,
    status: 'OK',
    candidates: [
      {
        place_id: 'ChIJ-trader-joes-123',
        name: "Trader Joe's",
        formatted_address: '123 Main St, Springfield, CA 90000, USA',
        phone: '+1 555-010-0123',
      },
    ],
    fetched_at: FIXTURE_TIME,
    expires_at: '2024-01-31T00:00:00.000Z',
    ...overrides,
  };
}

export function makeSnapshotPointer(overrides: Partial<SnapshotPointer> = {}): SnapshotPointer {
  return {
    collection: 'lines',
    version: 1,
    fencing_token: 1,
    vector_count: 0,
    run_ids: [],
    promoted_at: FIXTURE_TIME,
    ...overrides,
  };
}

/**
 * An axis-aligned OCR document: one line per text, top to bottom, words split on spaces, as an
 * engine would return a clean scan. For use-case tests that feed a fake OcrEngine.
 */
export function makeOcrDocument(
  texts: readonly string[],
  overrides: Partial<Omit<OcrDocument, 'lines'>> = {},
): OcrDocument {
  const lineHeight = 0.9 / Math.max(texts.length, 1);
  const lines: OcrLine[] = texts.map((text, i) => {
    const y = 0.95 - (i + 1) * lineHeight;
    const tokens = text.split(' ').filter((t) => t.length > 0);
    const w = 0.9 / Math.max(tokens.length, 1);
    return {
      text,
      confidence: 0.97,
      words: tokens.map((t, j) => ({
        text: t,
        confidence: 0.97,
        letters: [],
        ...axisAlignedGeometry({ x: 0.05 + j * w, y, width: w * 0.9, height: lineHeight * 0.7 }),
      })),
      ...axisAlignedGeometry({ x: 0.05, y, width: 0.9, height: lineHeight * 0.7 }),
    };
  });
  return { engine: 'fake', image_width: 800, image_height: 1600, ...overrides, lines };
}

/**
 * `count` vector records of `dimensions` float32-exact values, all of one encoded size (ids,
 * documents and metadata are padded), as a words delta of a big receipt holds: the size of a
 * delta is then proportional to its position, which lets a test bound how far a reader runs
 * ahead of the records it has handed out.
 *
 * @example
 * const records = makeDeltaRecords(3000, 512); // a 3,000-word receipt's words delta
 */
export function makeDeltaRecords(
  count: number,
  dimensions: number,
  options: { image_id?: string; receipt_id?: number } = {},
): VectorRecord[] {
  const image_id = options.image_id ?? 'img-delta';
  const receipt_id = options.receipt_id ?? 1;
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(6, '0');
    return {
      id: `${image_id}#${receipt_id}#word#${n}`,
      // Full-precision values, as embeddings have (about 19 characters each in JSON), rounded to
      // float32 so that they round-trip bit for bit through format 2.
      vector: Array.from({ length: dimensions }, (_, d) => Math.fround(Math.sin(i * 7.3 + d * 0.37) * 0.2)),
      document: `WORD${n}`,
      metadata: { image_id, receipt_id, line_id: 100_000 + i, word_id: 100_000 + i, text: `WORD${n}` },
    };
  });
}
