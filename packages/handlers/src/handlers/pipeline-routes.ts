import {
  DEAD_LETTER_LIST_LIMIT,
  ValidationError,
  getPipelineStatus,
  listDeadLetters,
  redriveDeadLetters,
  type PipelineDeps,
  type RedriveRequest,
} from '@receiptflow/core';
import { json, type HttpApiResult } from '../http/api-gateway.js';
import type { ApiRoute } from '../http/router.js';
import { jsonBody, mediaType } from '../http/upload-request.js';
import { integerParam } from './receipt-routes.js';

/**
 * The operator routes over the pipeline (docs/api.md#pipeline-operators-only):
 * - `GET /pipeline`: jobs by status, each queue's depth, in-flight count and DLQ depth, and the
 *   compaction runs not finished;
 * - `GET /pipeline/dlq/{queue}?limit=`: the messages in that queue's DLQ with their errors;
 * - `POST /pipeline/dlq/{queue}/redrive` with `{"message_id": …}` (one) or `{}` (all).
 * Each answers 403 FORBIDDEN to a key that is not an operator's (the queries check it), 404 for
 * an unknown queue.
 *
 * @example
 * const api = createApiRouter(pipelineRoutes({ jobs, runs, queues, clock, operators: ['ops'] }), { auth, logger });
 */
export function pipelineRoutes(deps: PipelineDeps): ApiRoute[] {
  return [
    {
      key: 'GET /pipeline',
      query: [],
      handle: async ({ owner }) => fresh(await getPipelineStatus(deps, owner)),
    },
    {
      key: 'GET /pipeline/dlq/{queue}',
      query: ['limit'],
      handle: async ({ owner, params, query }) => {
        const limit = query.limit === undefined ? DEAD_LETTER_LIST_LIMIT : integerParam('limit', query.limit);
        if (limit < 1 || limit > 100) throw new ValidationError('invalid limit', [`limit ${limit} is not in 1..100`]);
        return fresh(await listDeadLetters(deps, owner, params.queue!, limit));
      },
    },
    {
      key: 'POST /pipeline/dlq/{queue}/redrive',
      query: [],
      handle: async ({ event, owner, params }) => {
        // An explicit `{}` redrives everything: a missing or unreadable body never does.
        const body = mediaType(event) === 'application/json' ? jsonBody(event) : undefined;
        if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new ValidationError('invalid body', [
            'body must be a JSON object (content-type application/json): {"message_id": "…"} for one message, {} for all',
          ]);
        }
        return fresh(await redriveDeadLetters(deps, owner, params.queue!, body as RedriveRequest));
      },
    },
  ];
}

/** 200 with `body`, which no cache may keep: the pipeline changes by the second. */
function fresh(body: unknown): HttpApiResult {
  const result = json(200, body);
  return { ...result, headers: { ...result.headers, 'cache-control': 'no-store' } };
}
