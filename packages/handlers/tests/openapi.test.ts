import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { HttpApiResult } from '../src/http/api-gateway.js';
import { API_ROUTE_KEYS } from '../src/handlers/api-route-keys.js';
import { documentedRouteKeys, openApiDocument } from '../src/http/openapi/document.js';
import { openApiYaml } from '../scripts/openapi-yaml.js';
import { bodyOf, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM interop.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

type Doc = ReturnType<typeof openApiDocument>;
type Json = Record<string, unknown>;

const DOC_PATH = new URL('../../../docs/openapi.yaml', import.meta.url);
const ALICE = 'k-alice-openapi';
const BOB = 'k-bob-openapi';
const OPS = 'k-ops-openapi';

/** `#/components/schemas/X` → `https://receiptflow.invalid/api#/$defs/X`: the same schemas, addressed inside one JSON Schema for ajv. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string'
          ? v.replace('#/components/schemas/', 'https://receiptflow.invalid/api#/$defs/')
          : rewriteRefs(v),
      ]),
    );
  }
  return value;
}

/** Checks real answers against the document: the status is listed for the operation, and a JSON body fits its schema. */
class AnswerChecker {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Doc) {
    addFormats(this.ajv);
    const components = (doc.components as { schemas: Json }).schemas;
    this.ajv.addSchema({ $id: 'https://receiptflow.invalid/api', $defs: rewriteRefs(components) as Json });
  }

  /** The problems with one answer to `key` (empty when it is as documented). */
  problems(key: string, res: HttpApiResult): string[] {
    const [method, path] = key.split(' ') as [string, string];
    const op = this.doc.paths[path]?.[method.toLowerCase()] as { responses: Record<string, Json> } | undefined;
    if (!op) return [`${key} is not in the document`];
    const answer = op.responses[String(res.statusCode)] as
      { content?: Record<string, { schema: Json }>; headers?: Record<string, unknown> } | undefined;
    if (!answer) return [`${key} answered ${res.statusCode}, which the document does not list: ${res.body}`];
    const problems: string[] = [];
    for (const name of Object.keys(answer.headers ?? {})) {
      if (!res.headers?.[name]) problems.push(`${key} ${res.statusCode} lacks the documented header ${name}`);
    }
    const contentType = String(res.headers?.['content-type'] ?? '').split(';')[0]!;
    if (!answer.content) {
      if (res.body) problems.push(`${key} ${res.statusCode} has a body the document does not describe`);
      return problems;
    }
    const media = answer.content[contentType];
    if (!media) return [...problems, `${key} ${res.statusCode} answered ${contentType || 'no content type'}`];
    if (contentType !== 'application/json') return problems;
    const ref = (media.schema.$ref as string).replace('#/components/schemas/', '');
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(`https://receiptflow.invalid/api#/$defs/${ref}`)!;
      this.validators.set(ref, validate);
    }
    if (!validate(JSON.parse(res.body))) {
      problems.push(`${key} ${res.statusCode}: ${this.ajv.errorsText(validate.errors)}`);
    }
    return problems;
  }
}

describe('the OpenAPI document (docs/openapi.yaml)', () => {
  const doc = openApiDocument();

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('is committed as the code describes it (regenerate with `pnpm openapi`)', async () => {
    const committed = await readFile(DOC_PATH, 'utf8');
    expect(committed).toBe(openApiYaml());
    expect(parse(committed)).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('describes exactly the routes the API serves (API_ROUTE_KEYS)', () => {
    // A route served but missing here: add its operation to OPERATIONS in
    // packages/handlers/src/http/openapi/document.ts, then `pnpm openapi` and commit docs/openapi.yaml.
    expect([...documentedRouteKeys()].sort(), 'documented operations vs API_ROUTE_KEYS').toEqual(
      [...API_ROUTE_KEYS].sort(),
    );
  });

  it('checks strictly: an undocumented field or status is a problem', () => {
    const checker = new AnswerChecker(doc);
    const ok: HttpApiResult = {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        merchants: [{ place_id: 'p1', name: 'Cafe', receipt_count: 2, last_seen: '2024-01-02' }],
      }),
    };
    expect(checker.problems('GET /merchants', ok)).toEqual([]);
    const extra = { ...ok, body: ok.body.replace('"name"', '"secret":"x","name"') };
    expect(checker.problems('GET /merchants', extra).join()).toMatch(/additional/);
    expect(checker.problems('GET /merchants', { ...ok, statusCode: 418 }).join()).toMatch(/does not list/);
    expect(checker.problems('GET /nowhere', ok).join()).toMatch(/not in the document/);
  });
});

describe('real answers of the local API match the document', () => {
  const doc = openApiDocument();
  const checker = new AnswerChecker(doc);
  let p: LocalPipeline;
  const seen = new Set<string>();
  let alice0 = '';
  let bob0 = '';

  async function call(
    key: string,
    path: string,
    options: {
      bearer?: string | null;
      query?: Record<string, string>;
      body?: string | Uint8Array;
      headers?: Record<string, string>;
    } = {},
  ): Promise<HttpApiResult> {
    const res = await p.api(
      httpEvent({
        method: key.split(' ')[0]!,
        path,
        ...(options.bearer === null ? {} : { bearer: options.bearer ?? ALICE }),
        ...(options.query ? { query: options.query } : {}),
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(options.headers ? { headers: options.headers } : {}),
      }),
    );
    expect(checker.problems(key, res)).toEqual([]);
    seen.add(key);
    return res;
  }

  beforeAll(async () => {
    p = await localPipeline({
      apiKeys: [
        { owner: 'alice', key: ALICE },
        { owner: 'bob', key: BOB },
        { owner: 'ops', key: OPS },
      ],
      operators: ['ops'],
    });
    const receipts = demoReceipts();
    const upload = async (name: string, bearer: string, n: number) => {
      const bytes = p.ocr.register(name, specLines(receipts[n]!.spec));
      const res = await call('POST /upload-receipt', '/upload-receipt', {
        bearer,
        headers: { 'content-type': 'image/png' },
        body: bytes,
        query: { filename: `${name}.png` },
      });
      expect(res.statusCode, res.body).toBe(201);
      return { id: bodyOf<{ image_id: string }>(res).image_id, bytes };
    };
    const a0 = await upload('a0', ALICE, 0);
    await upload('a1', ALICE, 1);
    bob0 = (await upload('b0', BOB, 2)).id;
    alice0 = a0.id;
    await p.drain();
    // The same bytes again: a duplicate, answered in the same documented shape.
    const again = await call('POST /upload-receipt', '/upload-receipt', {
      headers: { 'content-type': 'image/png' },
      body: a0.bytes,
    });
    expect(bodyOf<{ duplicate?: boolean }>(again).duplicate).toBe(true);
  }, 120_000);

  it('the upload routes', async () => {
    const presign = await call('POST /upload-receipt', '/upload-receipt', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'r.png', content_type: 'image/png' }),
    });
    expect(presign.statusCode, presign.body).toBe(201);
    expect(
      (await call('POST /upload-receipt', '/upload-receipt', { headers: { 'content-type': 'text/plain' }, body: 'hi' }))
        .statusCode,
    ).toBe(415);
    expect(
      (
        await call('POST /upload-receipt', '/upload-receipt', {
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await call('POST /upload-complete', '/upload-complete', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image_id: bob0 }),
        })
      ).statusCode,
    ).toBe(404);
    expect((await call('GET /upload-status', '/upload-status', { query: { image_id: alice0 } })).statusCode).toBe(200);
    expect((await call('GET /upload-status', '/upload-status', { query: { image_id: bob0 } })).statusCode).toBe(404);
    expect(
      (await call('GET /upload-status', '/upload-status', { query: { image_id: alice0, imageid: 'x' } })).statusCode,
    ).toBe(400);
    expect(
      (await call('GET /upload-status', '/upload-status', { bearer: null, query: { image_id: alice0 } })).statusCode,
    ).toBe(401);
  });

  it('reading one receipt, its neighbours and its image', async () => {
    const view = await call('GET /receipts/{image_id}/{receipt_id}', `/receipts/${alice0}/1`);
    expect(view.statusCode, view.body).toBe(200);
    expect(bodyOf<{ words: unknown[] }>(view).words.length).toBeGreaterThan(0);
    expect((await call('GET /receipts/{image_id}/{receipt_id}', `/receipts/${bob0}/1`)).statusCode).toBe(404);
    expect((await call('GET /receipts/{image_id}/{receipt_id}', `/receipts/${alice0}/one`)).statusCode).toBe(400);
    expect(
      (
        await call('GET /receipts/{image_id}/{receipt_id}/similar', `/receipts/${alice0}/1/similar`, {
          query: { k: '3' },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await call('GET /receipts/{image_id}/{receipt_id}/similar', `/receipts/${alice0}/1/similar`, {
          query: { k: '0' },
        })
      ).statusCode,
    ).toBe(400);
    expect((await call('GET /images/{image_id}', `/images/${alice0}`)).statusCode).toBe(302);
    expect((await call('GET /images/{image_id}', `/images/${bob0}`)).statusCode).toBe(404);
  });

  it('listing, merchants, corrections and deletes', async () => {
    const list = await call('GET /receipts', '/receipts', { query: { limit: '1' } });
    expect(list.statusCode, list.body).toBe(200);
    const cursor = bodyOf<{ next_cursor: string | null }>(list).next_cursor;
    expect(cursor).not.toBeNull();
    expect((await call('GET /receipts', '/receipts', { query: { limit: '1', cursor: cursor! } })).statusCode).toBe(200);
    const bad: Record<string, string>[] = [
      { cursor: 'garbage' },
      { limit: '101' },
      { from: '2024-13-45' },
      { merchnat: 'x' },
    ];
    for (const query of bad) {
      expect((await call('GET /receipts', '/receipts', { query })).statusCode).toBe(400);
    }
    expect((await call('GET /merchants', '/merchants')).statusCode).toBe(200);
    const json = { 'content-type': 'application/json' };
    const fixed = await call('PATCH /receipts/{image_id}/{receipt_id}', `/receipts/${alice0}/1`, {
      headers: json,
      body: JSON.stringify({ fields: { date: '2024-02-03', total: { minor: 1234 } } }),
    });
    expect(fixed.statusCode, fixed.body).toBe(200);
    const patch = 'PATCH /receipts/{image_id}/{receipt_id}';
    expect((await call(patch, `/receipts/${alice0}/1`, { headers: json, body: 'not json' })).statusCode).toBe(400);
    expect(
      (await call(patch, `/receipts/${alice0}/1`, { headers: json, body: '{"fields":{"colour":1}}' })).statusCode,
    ).toBe(400);
    expect(
      (await call(patch, `/receipts/${bob0}/1`, { headers: json, body: '{"fields":{"date":"2024-01-01"}}' }))
        .statusCode,
    ).toBe(404);
    const del = 'DELETE /receipts/{image_id}/{receipt_id}';
    expect((await call(del, `/receipts/${bob0}/1`)).statusCode).toBe(404);
    expect((await call(del, `/receipts/${bob0}/1`, { bearer: BOB })).statusCode).toBe(204);
  });

  it('searching places', async () => {
    const found = await call('GET /places', '/places', { query: { query: 'harbor' } });
    expect(found.statusCode, found.body).toBe(200);
    expect(bodyOf<{ places: unknown[] }>(found).places.length).toBeGreaterThan(0);
    expect((await call('GET /places', '/places')).statusCode).toBe(400);
  });

  it('the pipeline routes (operators only)', async () => {
    await p.adapters.ocrDlq.send('not json');
    const status = await call('GET /pipeline', '/pipeline', { bearer: OPS });
    expect(status.statusCode, status.body).toBe(200);
    expect((await call('GET /pipeline', '/pipeline')).statusCode).toBe(403);
    const dlq = 'GET /pipeline/dlq/{queue}';
    const listed = await call(dlq, '/pipeline/dlq/ocr', { bearer: OPS });
    expect(bodyOf<{ messages: unknown[] }>(listed).messages).toHaveLength(1);
    expect((await call(dlq, '/pipeline/dlq/ocr', { bearer: OPS, query: { limit: '0' } })).statusCode).toBe(400);
    expect((await call(dlq, '/pipeline/dlq/nope', { bearer: OPS })).statusCode).toBe(404);
    const redrive = 'POST /pipeline/dlq/{queue}/redrive';
    const json = { 'content-type': 'application/json' };
    const moved = await call(redrive, '/pipeline/dlq/ocr/redrive', { bearer: OPS, headers: json, body: '{}' });
    expect(bodyOf(moved)).toEqual({ redriven: 1 });
    expect((await call(redrive, '/pipeline/dlq/ocr/redrive', { bearer: OPS, body: 'all' })).statusCode).toBe(400);
    expect((await call(redrive, '/pipeline/dlq/ocr/redrive', { headers: json, body: '{}' })).statusCode).toBe(403);
  });

  it('export: CSV or JSON Lines, 400 naming format', async () => {
    const csv = await call('GET /export', '/export', { query: { format: 'csv' } });
    expect(csv.statusCode).toBe(200);
    expect((await call('GET /export', '/export', { query: { format: 'jsonl' } })).statusCode).toBe(200);
    const bad = await call('GET /export', '/export', { query: { format: 'xlsx' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/format/);
  });

  it('every documented operation is served', async () => {
    const unrouted: string[] = [];
    for (const key of documentedRouteKeys()) {
      const [method, template] = key.split(' ') as [string, string];
      const path = template.replace('{image_id}', alice0).replace('{receipt_id}', '1');
      const res = await p.api(httpEvent({ method, path, bearer: ALICE }));
      if (res.statusCode === 404 && res.body.includes('no route')) unrouted.push(key);
    }
    expect(unrouted).toEqual([]);
  });
});
