/** A small client for the upload API (local serve or API Gateway). */
export class UploadApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: Uint8Array | string, contentType?: string): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (contentType) headers['content-type'] = contentType;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      throw new Error(`cannot reach ${this.baseUrl}: ${(error as Error).message}; is "receipts serve" running?`);
    }
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const message = (parsed as { error?: { message?: string } } | null)?.error?.message ?? text;
      throw new Error(`${method} ${path} failed with HTTP ${response.status}: ${message}`);
    }
    return parsed;
  }
}
