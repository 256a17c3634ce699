import { describe, expect, it } from 'vitest';
import { type PresignedUpload, presignedUploadRequest } from '../src/index.js';

const base = { max_bytes: 100, expires_at: '2030-01-01T00:00:00.000Z' };
const bytes = new TextEncoder().encode('png bytes');

describe('presignedUploadRequest', () => {
  it('sends a PUT upload as the body, with the signed headers', () => {
    const upload: PresignedUpload = {
      ...base,
      method: 'PUT',
      url: 'http://127.0.0.1:1/put',
      fields: {},
      headers: { 'content-type': 'image/png' },
    };
    const { url, init } = presignedUploadRequest(upload, bytes);
    expect(url).toBe(upload.url);
    expect(init).toMatchObject({ method: 'PUT', body: bytes, headers: upload.headers });
  });

  it('sends a POST upload as a form: every field first, the file last, typed as the policy says', async () => {
    const upload: PresignedUpload = {
      ...base,
      method: 'POST',
      url: 'http://127.0.0.1:1/bucket',
      fields: { key: 'raw/a.png', 'Content-Type': 'image/png', Policy: 'p' },
      headers: {},
    };
    const { init } = presignedUploadRequest(upload, bytes);
    expect(init.method).toBe('POST');
    const form = init.body as FormData;
    expect([...form.keys()]).toEqual(['key', 'Content-Type', 'Policy', 'file']);
    const file = form.get('file') as Blob;
    expect(file.type).toBe('image/png');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });
});
