/** The parts of an API Gateway HTTP API (payload v2) event that the upload API reads. */
export interface HttpApiEvent {
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string; path?: string }; requestId?: string };
}

export interface HttpApiResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
  /**
   * A body written as it is produced (`GET /export` locally), instead of `body`: the local
   * server writes each chunk as it comes (chunked transfer, backpressure honoured). Only the
   * local server sends it: API Gateway cannot stream a Lambda's answer, so on AWS the export
   * route is given ExportArtifacts and answers 303 instead.
   */
  bodyStream?: AsyncIterable<string>;
}

export function json(statusCode: number, body: unknown): HttpApiResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Error bodies always carry a stable code and a message naming what was wrong. */
export function errorResult(statusCode: number, code: string, message: string): HttpApiResult {
  return json(statusCode, { error: { code, message } });
}

/** Header lookup that ignores case, as HTTP does. */
export function header(event: HttpApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export function bodyBytes(event: HttpApiEvent): Uint8Array {
  if (!event.body) return new Uint8Array();
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}
