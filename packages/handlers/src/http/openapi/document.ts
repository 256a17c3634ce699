import {
  ACCEPTED_CONTENT_TYPES,
  IdSchema,
  ListReceiptsQuerySchema,
  MAX_LIST_LIMIT,
  MAX_SIMILAR,
  PipelineQueueNameSchema,
  ReceiptIdSchema,
  RedriveRequestSchema,
  ReceiptPatchSchema,
} from '@receiptflow/core';
import * as z from 'zod';
import type { RouteKey } from '../router.js';
import {
  DeadLetterListSchema,
  ErrorBodySchema,
  InvalidUploadBodySchema,
  MerchantListSchema,
  PipelineStatusSchema,
  PlaceSearchSchema,
  PresignRequestSchema,
  RedriveResultSchema,
  ReceiptListSchema,
  ReceiptViewSchema,
  SimilarListSchema,
  UploadCompleteRequestSchema,
  UploadCompleteResultSchema,
  UploadResultSchema,
  UploadStatusSchema,
} from './api-schemas.js';

/**
 * The OpenAPI 3.1 document of the HTTP API (docs/openapi.yaml is this, written by
 * `pnpm openapi`). The operations are listed here by hand, one per route key of the router;
 * every body schema is generated from the zod schemas the code uses (api-schemas.ts and core),
 * so the document cannot describe a field the code does not have. Tests check that its
 * operations are exactly the router's routes and that real answers validate against it.
 */

type Json = Record<string, unknown>;

/** The named schemas of `components.schemas`: response bodies (as the code outputs them). */
const RESPONSE_SCHEMAS = {
  Error: ErrorBodySchema,
  InvalidUpload: InvalidUploadBodySchema,
  UploadResult: UploadResultSchema,
  UploadCompleteResult: UploadCompleteResultSchema,
  UploadStatus: UploadStatusSchema,
  ReceiptList: ReceiptListSchema,
  MerchantList: MerchantListSchema,
  ReceiptView: ReceiptViewSchema,
  SimilarList: SimilarListSchema,
  PlaceSearch: PlaceSearchSchema,
  PipelineStatus: PipelineStatusSchema,
  DeadLetterList: DeadLetterListSchema,
  RedriveResult: RedriveResultSchema,
} as const;

/** Request bodies (as the code accepts them: zod's input side). */
const REQUEST_SCHEMAS = {
  PresignRequest: PresignRequestSchema,
  UploadCompleteRequest: UploadCompleteRequestSchema,
  ReceiptPatch: ReceiptPatchSchema,
  RedriveRequest: RedriveRequestSchema,
} as const;

type SchemaName = keyof typeof RESPONSE_SCHEMAS | keyof typeof REQUEST_SCHEMAS;

interface Param {
  name: string;
  schema: z.ZodType;
  description: string;
}

interface Answer {
  description: string;
  /** A JSON body of this component. */
  json?: SchemaName;
  /** Other bodies: media type → JSON schema. */
  content?: Record<string, Json>;
  headers?: Record<string, string>;
}

interface Operation {
  key: RouteKey;
  operationId: string;
  summary: string;
  description: string;
  query?: Param[];
  body?: { required: boolean; content: Record<string, { schema: SchemaName } | { binary: true }> };
  answers: Record<number, Answer>;
}

const listFilters = ListReceiptsQuerySchema.shape;
const FILTER_PARAMS: Param[] = [
  { name: 'merchant', schema: listFilters.merchant, description: 'A place_id: only receipts resolved to it.' },
  { name: 'from', schema: listFilters.from, description: 'YYYY-MM-DD, inclusive, on the receipt date.' },
  { name: 'to', schema: listFilters.to, description: 'YYYY-MM-DD, inclusive.' },
  { name: 'min', schema: listFilters.min, description: 'Smallest total, in major units (12.5).' },
  { name: 'max', schema: listFilters.max, description: 'Largest total, in major units.' },
  { name: 'text', schema: listFilters.text, description: 'Case-insensitive substring of the receipt’s lines.' },
];

const ERROR = (description: string): Answer => ({ description, json: 'Error' });
const BAD_INPUT = ERROR('VALIDATION_FAILED: the message names the parameter that was wrong.');
const NOT_FOUND = ERROR('NOT_FOUND: an unknown id, or another owner’s (the same answer).');
const FORBIDDEN = ERROR('FORBIDDEN: the key is not an operator’s.');

export const OPERATIONS: readonly Operation[] = [
  {
    key: 'POST /upload-receipt',
    operationId: 'uploadReceipt',
    summary: 'Upload a receipt image, or ask for a presigned upload',
    description:
      'An image body is a direct upload: stored as the caller’s and queued for OCR at once. A JSON body asks for a presigned upload (then `POST /upload-complete`). Bytes equal to an image the owner uploaded before answer that image with `duplicate: true`.',
    query: [{ name: 'filename', schema: z.string().min(1), description: 'The file’s name (direct uploads).' }],
    body: {
      required: true,
      content: {
        'application/json': { schema: 'PresignRequest' },
        ...Object.fromEntries(ACCEPTED_CONTENT_TYPES.map((type) => [type, { binary: true } as const])),
      },
    },
    answers: {
      201: { description: 'Stored (direct) or a presigned upload issued.', json: 'UploadResult' },
      400: ERROR('Not an image, truncated, too many pixels, or a bad JSON body (named).'),
      413: ERROR('PAYLOAD_TOO_LARGE: a direct upload over its limit; use a presigned upload.'),
      415: ERROR('A content type that is not accepted, or bytes of another format than declared.'),
    },
  },
  {
    key: 'POST /upload-complete',
    operationId: 'uploadComplete',
    summary: 'Finish a presigned upload: check the bytes and queue OCR',
    description: 'Idempotent: calling it again answers the same job without queuing it twice.',
    body: { required: true, content: { 'application/json': { schema: 'UploadCompleteRequest' } } },
    answers: {
      200: { description: 'Checked and queued (or queued before).', json: 'UploadCompleteResult' },
      400: BAD_INPUT,
      404: NOT_FOUND,
      422: { description: 'The stored bytes were refused and deleted; a fresh upload.', json: 'InvalidUpload' },
    },
  },
  {
    key: 'GET /upload-status',
    operationId: 'uploadStatus',
    summary: 'How far an upload got',
    description: 'The furthest stage reached, why it failed, and each receipt’s merchant.',
    query: [{ name: 'image_id', schema: IdSchema, description: 'The uploaded image.' }],
    answers: { 200: { description: 'The stage.', json: 'UploadStatus' }, 400: BAD_INPUT, 404: NOT_FOUND },
  },
  {
    key: 'GET /receipts',
    operationId: 'listReceipts',
    summary: 'The caller’s receipts, newest first, filtered, one page at a time',
    description:
      'Sorted by receipt date (else the upload day), ties by image_id and receipt_id. Keyed on DynamoDB, never a scan. Unknown parameters are refused.',
    query: [
      ...FILTER_PARAMS,
      {
        name: 'limit',
        schema: listFilters.limit,
        description: `Page size, 1..${MAX_LIST_LIMIT} (default 25).`,
      },
      { name: 'cursor', schema: listFilters.cursor, description: '`next_cursor` of the previous page, unchanged.' },
    ],
    answers: { 200: { description: 'One page.', json: 'ReceiptList' }, 400: BAD_INPUT },
  },
  {
    key: 'GET /merchants',
    operationId: 'listMerchants',
    summary: 'The places the caller’s receipts were resolved to',
    description: 'Each with its receipt count and the newest receipt date, most receipts first.',
    answers: { 200: { description: 'The merchants.', json: 'MerchantList' } },
  },
  {
    key: 'GET /receipts/{image_id}/{receipt_id}',
    operationId: 'getReceipt',
    summary: 'One receipt: fields, merchant, lines and words with geometry, routing, stage, image URL',
    description: 'Geometry is normalised 0..1 in the receipt’s frame, origin bottom-left.',
    answers: { 200: { description: 'The receipt.', json: 'ReceiptView' }, 400: BAD_INPUT, 404: NOT_FOUND },
  },
  {
    key: 'PATCH /receipts/{image_id}/{receipt_id}',
    operationId: 'correctReceipt',
    summary: 'Correct the merchant or fields; kept as the user’s',
    description:
      'Corrected values are stored with source `user`, and reprocessing never overwrites them. A merchant correction takes any place `GET /places` answers: name, address and phone come from one of the caller’s receipts resolved to it, else from the Places service by id; a place neither knows is a 400 naming `merchant.place_id`. It updates the vector metadata through the stream processor.',
    body: { required: true, content: { 'application/json': { schema: 'ReceiptPatch' } } },
    answers: {
      200: { description: 'The receipt after the correction.', json: 'ReceiptView' },
      400: ERROR('A body that is not JSON, an unknown field, or a bad value (named).'),
      404: NOT_FOUND,
      409: ERROR('CONDITION_FAILED: another write won a race; read and retry.'),
    },
  },
  {
    key: 'DELETE /receipts/{image_id}/{receipt_id}',
    operationId: 'deleteReceipt',
    summary: 'Delete a receipt, its vectors, and its image once no receipt of it is left',
    description: 'A tombstone stays, so that a redelivered OCR message cannot bring the receipt back.',
    answers: { 204: { description: 'Deleted (or deleted before).' }, 400: BAD_INPUT, 404: NOT_FOUND },
  },
  {
    key: 'GET /receipts/{image_id}/{receipt_id}/similar',
    operationId: 'similarReceipts',
    summary: 'The caller’s receipts most like this one, through the vector index',
    description: 'Empty while the receipt’s vectors are not compacted.',
    query: [
      {
        name: 'k',
        schema: z.number().int().min(1).max(MAX_SIMILAR),
        description: `How many, 1..${MAX_SIMILAR} (default 5).`,
      },
    ],
    answers: { 200: { description: 'Best first.', json: 'SimilarList' }, 400: BAD_INPUT, 404: NOT_FOUND },
  },
  {
    key: 'GET /export',
    operationId: 'exportReceipts',
    summary: 'Every receipt matching the filters, one row each, as CSV or JSON Lines',
    description:
      'Streamed page by page, so memory stays flat. Locally the rows are the answer (200). In AWS, where an HTTP API cannot stream, the export is written to the artifacts bucket and the answer is 303 to a presigned GET of it.',
    query: [
      { name: 'format', schema: z.enum(['csv', 'jsonl']), description: 'csv or jsonl (required).' },
      ...FILTER_PARAMS,
    ],
    answers: {
      200: {
        description: 'The export (local server).',
        content: {
          'text/csv': { type: 'string' },
          'application/x-ndjson': { type: 'string' },
        },
      },
      303: { description: 'The export is ready at `Location` (AWS).', headers: { location: 'A presigned GET URL.' } },
      400: BAD_INPUT,
    },
  },
  {
    key: 'GET /images/{image_id}',
    operationId: 'getImage',
    summary: 'The uploaded image, through a short-lived presigned URL',
    description: 'Follow the redirect without the bearer key: the URL is its own credential.',
    answers: {
      302: { description: 'To a presigned GET (5 minutes).', headers: { location: 'The presigned URL.' } },
      400: BAD_INPUT,
      404: NOT_FOUND,
    },
  },
  {
    key: 'GET /places',
    operationId: 'searchPlaces',
    summary: 'Places to correct a merchant to: the caller’s matching merchants first, then the Places service',
    description:
      'At most 10, each once. Places answers are cached as merchant resolution’s are. When Places is down, the caller’s merchants alone, with `places_unavailable: true`.',
    query: [{ name: 'query', schema: z.string().min(1).max(200), description: 'A name or address.' }],
    answers: { 200: { description: 'The places.', json: 'PlaceSearch' }, 400: BAD_INPUT },
  },
  {
    key: 'GET /pipeline',
    operationId: 'getPipeline',
    summary: 'Operators: jobs by status, each queue’s depth and DLQ depth, unfinished compaction runs',
    description: 'Every owner’s pipeline at once, so only operator keys may call it (docs/api.md).',
    answers: { 200: { description: 'The pipeline now.', json: 'PipelineStatus' }, 403: FORBIDDEN },
  },
  {
    key: 'GET /pipeline/dlq/{queue}',
    operationId: 'listDeadLetters',
    summary: 'Operators: the messages in a queue’s dead-letter queue, each with its error',
    description: 'Listing leaves every message where it is.',
    query: [{ name: 'limit', schema: z.number().int().min(1).max(100), description: 'How many, 1..100 (default 50).' }],
    answers: {
      200: { description: 'The messages.', json: 'DeadLetterList' },
      400: BAD_INPUT,
      403: FORBIDDEN,
      404: ERROR('NOT_FOUND: no such queue.'),
    },
  },
  {
    key: 'POST /pipeline/dlq/{queue}/redrive',
    operationId: 'redriveDeadLetters',
    summary: 'Operators: send one dead letter (`message_id`) or all (`{}`) back to the work queue',
    description: 'Idempotent: a message already redriven is gone from the DLQ, so a repeat moves nothing.',
    body: { required: true, content: { 'application/json': { schema: 'RedriveRequest' } } },
    answers: {
      200: { description: 'How many moved.', json: 'RedriveResult' },
      400: ERROR('A body that is not a JSON object, or an unknown field (named).'),
      403: FORBIDDEN,
      404: ERROR('NOT_FOUND: no such queue.'),
    },
  },
];

/** Answers every operation can give. */
const COMMON_ANSWERS: Record<number, Answer> = {
  401: ERROR('UNAUTHORIZED: no key, or an unknown one.'),
  500: ERROR('INTERNAL: the request failed; the cause is logged, not returned.'),
  503: ERROR('INTERNAL: a dependency failed; retry later.'),
};

const PATH_PARAMS: Record<string, Param> = {
  image_id: { name: 'image_id', schema: IdSchema, description: 'The uploaded image.' },
  receipt_id: { name: 'receipt_id', schema: ReceiptIdSchema, description: '1 for an image holding one receipt.' },
  queue: {
    name: 'queue',
    schema: PipelineQueueNameSchema,
    description: 'A work queue: ocr, ocr-results or compaction.',
  },
};

/** A JSON schema fit for OpenAPI 3.1 (draft 2020-12, without the `$schema` of a root document). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as Json;
  return rest;
}

function components(): Record<string, Json> {
  const out: Record<string, Json> = {};
  const build = (schemas: Record<string, z.ZodType>, io: 'input' | 'output') => {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
    const { schemas: built } = z.toJSONSchema(registry, {
      target: 'draft-2020-12',
      io,
      uri: (id) => `#/components/schemas/${id}`,
    });
    for (const [id, schema] of Object.entries(built)) {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
      out[id] = rest;
    }
  };
  build(RESPONSE_SCHEMAS, 'output');
  build(REQUEST_SCHEMAS, 'input');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });

function parameter(where: 'path' | 'query', p: Param, required: boolean): Json {
  return { name: p.name, in: where, required, description: p.description, schema: jsonSchema(p.schema, 'input') };
}

function operation(op: Operation): Json {
  const path = op.key.split(' ')[1]!;
  const pathParams = [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => {
    const p = PATH_PARAMS[m[1]!];
    if (!p) throw new Error(`no schema for path parameter ${m[1]} of ${op.key}`);
    return parameter('path', p, true);
  });
  const requiredQuery = new Set(['image_id', 'format', 'query']);
  const parameters = [...pathParams, ...(op.query ?? []).map((p) => parameter('query', p, requiredQuery.has(p.name)))];
  const responses: Json = {};
  for (const [status, answer] of Object.entries({ ...op.answers, ...COMMON_ANSWERS })) {
    responses[status] = {
      description: answer.description,
      ...(answer.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(answer.headers).map(([name, description]) => [
                name,
                { description, required: true, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
      ...(answer.json ? { content: { 'application/json': { schema: ref(answer.json) } } } : {}),
      ...(answer.content
        ? { content: Object.fromEntries(Object.entries(answer.content).map(([t, s]) => [t, { schema: s }])) }
        : {}),
    };
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: op.description,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required,
            content: Object.fromEntries(
              Object.entries(op.body.content).map(([type, body]) => [
                type,
                { schema: 'schema' in body ? ref(body.schema) : { type: 'string', contentMediaType: type } },
              ]),
            ),
          },
        }
      : {}),
    responses,
  };
}

/**
 * The whole OpenAPI 3.1 document.
 *
 * @example
 * const doc = openApiDocument();
 * doc.paths['/receipts'].get.operationId; // 'listReceipts'
 */
export function openApiDocument(): Json & { paths: Record<string, Record<string, Json>> } {
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of OPERATIONS) {
    const [method, path] = op.key.split(' ') as [string, string];
    (paths[path] ??= {})[method.toLowerCase()] = operation(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'receiptflow HTTP API',
      version: '0.1.0',
      description:
        'The same API locally (`receipts serve`) and in AWS (API Gateway HTTP API). Every answer is scoped to the bearer key’s owner; another owner’s id answers 404. See docs/api.md.',
    },
    servers: [{ url: 'http://127.0.0.1:8787', description: 'receipts serve' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key of one owner.' } },
      schemas: components(),
    },
  };
}

/** The route keys the document describes, e.g. `GET /receipts/{image_id}/{receipt_id}`. */
export function documentedRouteKeys(): RouteKey[] {
  return OPERATIONS.map((op) => op.key);
}
