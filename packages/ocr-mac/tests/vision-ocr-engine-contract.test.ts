import { fileURLToPath } from 'node:url';
import { describeOcrEngineContract } from '@receiptflow/core/testing';
import { VisionOcrEngine } from '../src/vision/vision-ocr-engine.js';
import { SAMPLE_PNG } from './support/sample-png.js';

// On Linux the Swift helper cannot be built, so the TypeScript side runs the shared contract
// against the stand-in helper and its recorded Vision document. On a Mac, set
// RECEIPT_OCR_VISION_HELPER to the built helper to run the same suite against Apple Vision.
const standIn = fileURLToPath(new URL('./fixtures/vision-helper/ok.mjs', import.meta.url));

describeOcrEngineContract('VisionOcrEngine (stand-in helper)', async () => ({
  subject: new VisionOcrEngine({ helperPath: standIn, timeoutMs: 10_000 }),
  sampleImage: SAMPLE_PNG,
  expectedTexts: ["TRADER JOE'S", 'TOTAL'],
}));
