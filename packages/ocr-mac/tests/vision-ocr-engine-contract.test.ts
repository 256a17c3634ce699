import { fileURLToPath } from 'node:url';
import { describeOcrEngineContract } from '@receiptflow/core/testing';
import { demoReceipts, renderReceipt } from '@receiptflow/adapters-local/synthetic';
import { VisionOcrEngine } from '../src/vision/vision-ocr-engine.js';
import { SAMPLE_PNG } from './support/sample-png.js';

// On Linux the Swift helper cannot be built, so the TypeScript side runs the shared contract
// against the stand-in helper and its recorded Vision document. On a Mac, point
// RECEIPT_OCR_VISION_HELPER at the built helper (swift/build.sh) to run the same suite against
// Apple Vision itself, on a rendered synthetic receipt.
const standIn = fileURLToPath(new URL('./fixtures/vision-helper/ok.mjs', import.meta.url));
const realHelper = process.env.RECEIPT_OCR_VISION_HELPER;

if (realHelper) {
  describeOcrEngineContract(`VisionOcrEngine (${realHelper})`, async () => {
    const receipt = demoReceipts(1)[0]!;
    return {
      subject: new VisionOcrEngine({ helperPath: realHelper, timeoutMs: 60_000 }),
      sampleImage: (await renderReceipt(receipt.spec)).png,
      expectedTexts: [receipt.spec.merchant_name, 'TOTAL'],
    };
  });
} else {
  describeOcrEngineContract('VisionOcrEngine (stand-in helper)', async () => ({
    subject: new VisionOcrEngine({ helperPath: standIn, timeoutMs: 10_000 }),
    sampleImage: SAMPLE_PNG,
    expectedTexts: ["TRADER JOE'S", 'TOTAL'],
  }));
}
