import { type PresignedUpload, presignedUploadRequest } from '@receiptflow/core';
import { HttpRequestFailedError, ServerUnreachableError } from '../errors.js';

/**
 * Sends bytes as a presigned upload says: PUT with its headers (local serve), or an S3 form
 * POST with its fields and the file last (AWS). Throws naming the status and S3's answer.
 */
export async function sendPresignedUpload(upload: PresignedUpload, bytes: Uint8Array, what: string): Promise<void> {
  const { url, init } = presignedUploadRequest(upload, bytes);
  const response = await fetch(url, init);
  if (!response.ok) {
    throw new HttpRequestFailedError(
      `upload of ${what} (${upload.method} to its presigned URL)`,
      response.status,
      (await response.text()).slice(0, 300),
    );
  }
}

/** The statuses a redirect to the export's download URL may come as. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A small client for the upload API (local serve or API Gateway). */
export class UploadApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: Uint8Array | string, contentType?: string): Promise<unknown> {
    const response = await this.send(method, path, body, contentType);
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const message = (parsed as { error?: { message?: string } } | null)?.error?.message ?? text;
      throw new HttpRequestFailedError(`${method} ${path}`, response.status, message);
    }
    return parsed;
  }

  /**
   * A GET whose body is read as it arrives (`receipts export`), so a large answer is never held
   * whole. A redirect (AWS: 303 to the export's presigned URL) is followed once, without the API
   * key. Errors as {@link request} (the error body is small and read whole).
   *
   * @example
   * for await (const chunk of await client.stream('/export?format=csv')) process.stdout.write(chunk);
   */
  async stream(path: string): Promise<AsyncIterable<Uint8Array>> {
    let response = await this.send('GET', path, undefined, undefined, 'manual');
    let what = `GET ${path}`;
    const location = REDIRECTS.has(response.status) ? response.headers.get('location') : null;
    if (location) {
      // On AWS the export is written to S3 and answered 303 to a presigned GET: fetched here
      // without the API key, since the URL carries its own signature (and S3 refuses two auths).
      await response.body?.cancel();
      what = `GET ${path} (its download URL)`;
      try {
        response = await fetch(new URL(location, this.baseUrl));
      } catch (error) {
        throw new ServerUnreachableError(new URL(location, this.baseUrl).origin, { cause: error });
      }
    }
    if (!response.ok || !response.body) {
      const text = await response.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // Not the API's JSON error (a proxy's page, S3's XML): its text is the best explanation there is.
      }
      throw new HttpRequestFailedError(what, response.status, message.slice(0, 300));
    }
    return response.body;
  }

  private async send(
    method: string,
    path: string,
    body?: Uint8Array | string,
    contentType?: string,
    redirect: 'follow' | 'manual' = 'follow',
  ) {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (contentType) headers['content-type'] = contentType;
    try {
      return await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        redirect,
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      throw new ServerUnreachableError(this.baseUrl, { cause: error });
    }
  }
}
