import { parseFlags, type Print } from '../args.js';
import { UsageError } from '@receiptflow/core';
import { UploadApiClient } from '../http-client.js';

/** `receipts status IMAGE_ID [--url URL] [--token T]`: the stage an upload reached, as JSON. */
export async function statusCommand(argv: string[], out: Print): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { url: { type: 'string', default: 'http://127.0.0.1:8787' }, token: { type: 'string' } },
    true,
  );
  const [imageId] = positionals;
  if (!imageId || positionals.length > 1) throw new UsageError('status needs exactly one IMAGE_ID');
  const client = new UploadApiClient(values.url, values.token);
  out(JSON.stringify(await client.request('GET', `/upload-status?image_id=${encodeURIComponent(imageId)}`), null, 2));
  return 0;
}
