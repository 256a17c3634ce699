import type { Logger } from '@receiptflow/core';
import type { SqsEvent } from '../../src/handlers/sqs-event.js';
import type { HttpApiEvent } from '../../src/http/api-gateway.js';

// ---- images ------------------------------------------------------------------------------

// pngHeader and pngTag live in the devkit with TaggedOcr, which reads their tags.
export { pngHeader, pngTag, TaggedOcr } from '@receiptflow/devkit/fakes';

/** A baseline JPEG header (SOI, APP0, SOF0 with the dimensions, EOI unless truncated). */
export function jpegHeader(width: number, height: number, options: { truncated?: boolean } = {}): Uint8Array {
  const app0 = [
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  ];
  const sof0 = [
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    (height >> 8) & 0xff,
    height & 0xff,
    (width >> 8) & 0xff,
    width & 0xff,
    0x03,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ];
  // Some scan data so that the tail is not the header itself.
  const scan = [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, ...new Array<number>(64).fill(0x55)];
  const eoi = options.truncated ? [] : [0xff, 0xd9];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof0, ...scan, ...eoi]);
}

// ---- events ------------------------------------------------------------------------------

export interface HttpEventInput {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** Bytes are sent base64 (as API Gateway does for binary media); strings as they are. */
  body?: Uint8Array | string;
  bearer?: string;
}

/** An API Gateway HTTP API (payload v2) event. */
export function httpEvent(input: HttpEventInput = {}): HttpApiEvent {
  const method = input.method ?? 'POST';
  const path = input.path ?? '/upload-receipt';
  const headers: Record<string, string> = { ...input.headers };
  if (input.bearer !== undefined) headers.authorization = `Bearer ${input.bearer}`;
  const binary = input.body instanceof Uint8Array;
  return {
    rawPath: path,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.body === undefined
      ? {}
      : { body: binary ? Buffer.from(input.body as Uint8Array).toString('base64') : (input.body as string) }),
    isBase64Encoded: binary,
    requestContext: { http: { method, path }, requestId: 'req-1' },
  };
}

/** A JSON POST to an upload route: `/upload-receipt` asking for a presigned upload, or `/upload-complete`. */
export function jsonPostEvent(path: string, body: Record<string, unknown>): HttpApiEvent {
  return httpEvent({ path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Parses a handler result body. */
export function bodyOf<T = Record<string, unknown>>(result: { body: string }): T {
  return JSON.parse(result.body) as T;
}

/** An SQS event of the given bodies; message ids are `m1`, `m2`, … unless given. */
export function sqsEvent(bodies: (string | { id: string; body: string })[]): SqsEvent {
  return {
    Records: bodies.map((b, i) =>
      typeof b === 'string'
        ? { messageId: `m${i + 1}`, receiptHandle: `rh-${i + 1}`, body: b }
        : { messageId: b.id, receiptHandle: `rh-${b.id}`, body: b.body },
    ),
  };
}

// ---- OCR ---------------------------------------------------------------------------------

/** An axis-aligned OCR document: one line per text, top to bottom, words split on spaces. */
import { makeOcrDocument as ocrDocument } from '@receiptflow/core/testing';
export { ocrDocument };
/** The lines a synthetic receipt prints, as the renderer lays them out. */
export { printedLines as specLines } from '@receiptflow/adapters-local/synthetic';

// ---- logging -----------------------------------------------------------------------------

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it is told, for assertions. */
export function collectingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const log =
    (level: LogEntry['level']) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      entries.push({ level, message, fields });
    };
  return { entries, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
