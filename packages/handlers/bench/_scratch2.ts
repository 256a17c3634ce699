import { fillerRecords } from './filler.js';
import { HnswVectorIndex } from '@receiptflow/adapters-local';
const n = Number(process.argv[2] ?? 20000);
const idx = new HnswVectorIndex({ dimensions: 512 });
let t = performance.now();
let done = 0;
for await (const b of fillerRecords(n, { collection: 'lines' })) { await idx.upsert('lines', b); done += b.length; if (done % 10000 === 0) console.log(done, ((performance.now() - t) / done * 1000).toFixed(0), 'us/vec'); }
console.log('hnsw build', n, performance.now() - t);
