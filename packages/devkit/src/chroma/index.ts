/**
 * A real Chroma server (the `chroma` bin of the chromadb package) in a child process, on a free
 * 127.0.0.1 port with a throw-away data folder: for ChromaVectorIndex tests and the bench.
 *
 * @example
 * ```ts
 * import { startChromaServer } from '@receiptflow/devkit/chroma';
 *
 * const chroma = await startChromaServer();
 * try {
 *   const client = new ChromaClient({ host: chroma.host, port: chroma.port }); // chromadb
 *   const index = new ChromaVectorIndex(client, { dimensions: 512 }); // @receiptflow/adapters-aws/chroma
 *   // ... upsert and query ...
 * } finally {
 *   await chroma.stop(); // kills the process group, removes the data folder
 * }
 * ```
 * @packageDocumentation
 */
export { startChromaServer, type ChromaServer, type StartChromaServerOptions } from './chroma-server.js';
