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
   * whole. Errors as {@link request} (the error body is small and read whole).
   *
   * @example
   * for await (const chunk of await client.stream('/export?format=csv')) process.stdout.write(chunk);
   */
  async stream(path: string): Promise<AsyncIterable<Uint8Array>> {
    const response = await this.send('GET', path);
    if (!response.ok || !response.body) {
      const text = await response.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // Not the API's JSON error (a proxy's page): its text is the best explanation there is.
      }
      throw new HttpRequestFailedError(`GET ${path}`, response.status, message);
    }
    return response.body;
  }

  private async send(method: string, path: string, body?: Uint8Array | string, contentType?: string) {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (contentType) headers['content-type'] = contentType;
    try {
      return await fetch(new URL(path, this.baseUrl), { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      throw new ServerUnreachableError(this.baseUrl, { cause: error });
    }
  }
}
