import { describeOcrEngineContract } from '@receiptflow/core/testing';
import { TesseractOcrEngine } from '../../src/ocr/index.js';
import { renderReceipt } from '../../src/synthetic/index.js';

// One engine and one receipt for the whole suite: starting a worker costs about a second.
describeOcrEngineContract('TesseractOcrEngine', async () => {
  const engine = new TesseractOcrEngine();
  const { png } = await renderReceipt({
    merchant_name: 'COPPER KETTLE CAFE',
    address_lines: ['88 MAIN STREET', 'BOULDER, CO 80304'],
    phone: '(303) 555-0177',
    date: '03/14/2024',
    items: [
      { name: 'LATTE', price: 4.75 },
      { name: 'CROISSANT', price: 3.5 },
    ],
    total: 8.25,
  });
  return {
    subject: engine,
    sampleImage: png,
    expectedTexts: ['COPPER KETTLE CAFE', '88 MAIN STREET', '(303) 555-0177', 'TOTAL 8.25', 'THANK YOU'],
    cleanup: () => engine.terminate(),
  };
});
