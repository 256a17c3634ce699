/**
 * A 3,000-word receipt's words delta, the old way and the new (docs/benchmarks.md#big-delta-big_delta):
 * format 1 (one JSON document, built and parsed whole) against format 2 (encoded as a stream into
 * a multipart upload through S3ImageStore on fauxqs, read back as a stream).
 * Reported as figures: sizes, times, and the most bytes of the delta held at once, counted at the
 * chunks (what the process buffers), not sampled from RSS, which a shared box makes noise of.
 * A 12,000-word delta shows that the streamed figure stays at about two 5 MiB parts.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import {
  buildVectorDelta,
  decodeVectorDelta,
  encodeVectorDelta,
  encodeVectorDeltaStream,
  readVectorDelta,
  type DeltaHeader,
} from '@receiptflow/core';
import { makeDeltaRecords } from '@receiptflow/core/testing';
import { createTestS3Client, startFauxqs } from '../src/emulators/index.js';
import { interceptCommand } from '../src/faults/index.js';
import { ratio, round } from './stats.js';

const DIMENSIONS = 512;
const MB = 1024 * 1024;

export async function measureBigDelta(
  progress: (line: string) => void,
  options: { quick?: boolean } = {},
): Promise<Record<string, number>> {
  const fauxqs = await startFauxqs();
  const client = createTestS3Client(fauxqs.endpoint);
  try {
    const bucket = 'bench-big-delta';
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = new S3ImageStore(client, { bucket });
    // Bytes acknowledged by S3 so far, whichever way the object went.
    let acknowledged = 0;
    const onSent = (input: Record<string, unknown>) => (acknowledged += (input['Body'] as Uint8Array).length);
    const parts = interceptCommand(client, 'UploadPartCommand', async (input, send) => {
      const out = await send(input);
      onSent(input);
      return out;
    });

    const header = (words: number): DeltaHeader => ({
      run_id: `run-${words}`,
      image_id: 'img-bench',
      receipt_id: 1,
      collection: 'words',
    });

    // Format 1 is timed in process, encode and decode only: fauxqs takes no request body over
    // 11 MiB, and this one is about three times that (S3 itself would take it, as one PutObject).
    const json = (words: number) => {
      const records = makeDeltaRecords(words, DIMENSIONS);
      const started = performance.now();
      const bytes = encodeVectorDelta(buildVectorDelta(header(words), DIMENSIONS, records));
      decodeVectorDelta(bytes, header(words));
      // Held whole: the encoded body, on the way out and again on the way back.
      return { ms: performance.now() - started, bytes: bytes.length, held: bytes.length };
    };
    const codec = (words: number) => {
      const records = makeDeltaRecords(words, DIMENSIONS);
      const started = performance.now();
      return readVectorDelta(encodeVectorDeltaStream(header(words), DIMENSIONS, records), {
        expected: header(words),
      }).then(() => performance.now() - started);
    };

    const streamed = async (words: number) => {
      const records = makeDeltaRecords(words, DIMENSIONS);
      const started = performance.now();
      acknowledged = 0;
      let produced = 0;
      let heldWriting = 0;
      function* measured() {
        for (const chunk of encodeVectorDeltaStream(header(words), DIMENSIONS, records)) {
          produced += chunk.length;
          heldWriting = Math.max(heldWriting, produced - acknowledged);
          yield chunk;
        }
      }
      await store.putStream(`deltas/words/${words}.bin`, measured());
      const back = await store.getStream(`deltas/words/${words}.bin`);
      let pulled = 0;
      let handedOut = 0;
      let readAhead = 0;
      const perRecord = back.size / words;
      async function* counted() {
        for await (const chunk of back.body) {
          pulled += chunk.length;
          yield chunk;
        }
      }
      await readVectorDelta(counted(), {
        expected: header(words),
        onRecord: () => {
          handedOut += 1;
          readAhead = Math.max(readAhead, pulled - handedOut * perRecord);
        },
      });
      return { ms: performance.now() - started, bytes: produced, held: heldWriting, readAhead };
    };

    progress('big delta: 3,000 words, format 1 and format 2 codecs in process');
    const old = json(3000);
    const codecMs = await codec(3000);
    progress('big delta: 3,000 words, format 2 through S3 (streamed, multipart)');
    const now = await streamed(3000);
    // --quick skips the 12,000-word run (about half of this step): the 3,000-word figures remain.
    const big = options.quick ? null : (progress('big delta: 12,000 words, format 2'), await streamed(12_000));
    parts.remove();
    return {
      words: 3000,
      json_mb: round(old.bytes / MB, 1),
      stream_mb: round(now.bytes / MB, 1),
      size_ratio: round(ratio(now.bytes, old.bytes), 3),
      json_codec_ms: round(old.ms, 0),
      stream_codec_ms: round(codecMs, 0),
      codec_time_ratio: round(ratio(codecMs, old.ms), 3),
      stream_s3_round_trip_ms: round(now.ms, 0),
      json_held_mb: round(old.held / MB, 1),
      stream_write_held_mb: round(now.held / MB, 1),
      stream_read_ahead_kb: round(now.readAhead / 1024, 0),
      ...(big
        ? {
            words_12k_stream_mb: round(big.bytes / MB, 1),
            words_12k_write_held_mb: round(big.held / MB, 1),
            words_12k_read_ahead_kb: round(big.readAhead / 1024, 0),
          }
        : {}),
    };
  } finally {
    client.destroy();
    await fauxqs.stop();
  }
}
