import type { Container } from 'inversify';
import type { ApiKeyAuth } from '../http/api-key-auth.js';
import { createCompactionHandler, type CompactionHandlerOptions } from '../handlers/compaction-handler.js';
import {
  createProcessOcrResultsHandler,
  type ProcessOcrResultsHandlerOptions,
} from '../handlers/process-ocr-results-handler.js';
import { createStreamProcessor } from '../handlers/stream-processor-handler.js';
import { createSweepHandler, type SweepHandlerOptions } from '../handlers/sweep-handler.js';
import { uploadRoutes } from '../handlers/upload-api.js';
import { receiptListRoutes, receiptReadRoutes, similarReceiptRoutes } from '../handlers/receipt-routes.js';
import { receiptChangeRoutes } from '../handlers/receipt-change-routes.js';
import { pipelineRoutes } from '../handlers/pipeline-routes.js';
import { placeRoutes } from '../handlers/place-routes.js';
import { exportRoutes } from '../handlers/export-routes.js';
import { createApiRouter, type ApiRoute } from '../http/router.js';
import type { EventSourceResolver } from '../handlers/sqs-event.js';
import { noopMetrics, type Metrics, type RecoverUnfinishedWorkDeps, type SubmitJobDeps } from '@receiptflow/core';
import { resolve, resolveOptional, TOKENS, type MetricsFunction } from './tokens.js';

type Get = Pick<Container, 'get'>;

/** The handler's metrics, or none when the container binds no Metrics (tests that do not count). */
function metricsOf(c: Get, fn: MetricsFunction): Metrics {
  return resolveOptional(c, TOKENS.Metrics)?.(fn) ?? noopMetrics;
}

/** The job table's three stores, as the upload API's status route, the results step and recovery read them. */
function jobTableFrom(c: Get) {
  return {
    jobs: resolve(c, TOKENS.OcrJobs),
    receipts: resolve(c, TOKENS.Receipts),
    runs: resolve(c, TOKENS.CompactionRuns),
  };
}

/** What `submitJob` needs: the upload API's and the local runtime's direct uploads share it. */
export function submitDepsFrom(c: Get): SubmitJobDeps {
  const pdfPages = resolveOptional(c, TOKENS.PdfPages);
  return {
    ...(pdfPages ? { pdfPages } : {}),
    jobs: resolve(c, TOKENS.OcrJobs),
    images: resolve(c, TOKENS.RawImages),
    ocrQueue: resolve(c, TOKENS.OcrQueue),
    clock: resolve(c, TOKENS.Clock),
    ids: resolve(c, TOKENS.Ids),
    ocrBucket: resolve(c, TOKENS.OcrOutputBucket),
  };
}

/** What `recoverUnfinishedWork` needs: the sweep's, and the local runtime's after a restart. */
export function recoveryDepsFrom(c: Get) {
  return {
    ...jobTableFrom(c),
    ocrQueue: resolve(c, TOKENS.OcrQueue),
    resultsQueue: resolve(c, TOKENS.ResultsQueue),
    compactionQueue: resolve(c, TOKENS.CompactionQueue),
    ocrBucket: resolve(c, TOKENS.OcrOutputBucket),
    logger: resolve(c, TOKENS.Logger),
  } satisfies RecoverUnfinishedWorkDeps;
}

/** The upload routes: POST /upload-receipt, POST /upload-complete, GET /upload-status. */
export function uploadRoutesFrom(c: Get): ApiRoute[] {
  return uploadRoutes({ submit: submitDepsFrom(c), status: jobTableFrom(c), logger: resolve(c, TOKENS.Logger) });
}

/** The read routes over the job table and the raw bucket: a receipt, its image. */
export function receiptReadRoutesFrom(c: Get): ApiRoute[] {
  return receiptReadRoutes({ ...jobTableFrom(c), images: resolve(c, TOKENS.RawImages) });
}

/** `GET …/similar`: the job table and the vector index. */
export function similarRoutesFrom(c: Get): ApiRoute[] {
  return similarReceiptRoutes({
    jobs: resolve(c, TOKENS.OcrJobs),
    receipts: resolve(c, TOKENS.Receipts),
    vectors: resolve(c, TOKENS.VectorIndex),
  });
}

/** `GET /receipts` and `GET /merchants`: the receipt catalog. */
export function receiptListRoutesFrom(c: Get): ApiRoute[] {
  return receiptListRoutes({ catalog: resolve(c, TOKENS.ReceiptCatalog) });
}

/**
 * `PATCH` and `DELETE /receipts/{image_id}/{receipt_id}`: the job table, the raw bucket (a
 * deleted image's bytes, the view a correction answers with) and the artifacts bucket (its OCR
 * documents), the (cached) Places service (a merchant corrected to a place only it knows), and
 * the clock.
 */
export function receiptChangeRoutesFrom(c: Get): ApiRoute[] {
  return receiptChangeRoutes({
    ...jobTableFrom(c),
    places: resolve(c, TOKENS.Places),
    images: resolve(c, TOKENS.RawImages),
    artifacts: resolve(c, TOKENS.Artifacts),
    clock: resolve(c, TOKENS.Clock),
    logger: resolve(c, TOKENS.Logger),
  });
}

/** `GET /places?query=`: the owner's merchants and the (cached) Places service, for merchant corrections. */
export function placeRoutesFrom(c: Get): ApiRoute[] {
  return placeRoutes({ catalog: resolve(c, TOKENS.ReceiptCatalog), places: resolve(c, TOKENS.Places) });
}

/**
 * The operator routes: GET /pipeline, GET /pipeline/dlq/{queue}, POST …/redrive. Operators are
 * the owners bound to `Operators` (none when unbound: every caller gets 403).
 */
export function pipelineRoutesFrom(c: Get): ApiRoute[] {
  return pipelineRoutes({
    jobs: resolve(c, TOKENS.OcrJobs),
    runs: resolve(c, TOKENS.CompactionRuns),
    queues: resolve(c, TOKENS.PipelineQueues),
    clock: resolve(c, TOKENS.Clock),
    operators: resolveOptional(c, TOKENS.Operators) ?? [],
  });
}

/**
 * `GET /export`: the receipt catalog; with ExportArtifacts bound (AWS) the export is written
 * there and answered with 303 (ids name the object), else it is streamed (the local server).
 */
export function exportRoutesFrom(c: Get): ApiRoute[] {
  const artifacts = resolveOptional(c, TOKENS.ExportArtifacts);
  return exportRoutes({
    catalog: resolve(c, TOKENS.ReceiptCatalog),
    ...(artifacts ? { publish: { artifacts, ids: resolve(c, TOKENS.Ids) } } : {}),
  });
}

/**
 * An API Lambda (or the local server): the API router over the routes it serves, counting its
 * metrics under `fn`.
 *
 * @example
 * const api = apiHandlerFrom(container, auth, [...uploadRoutesFrom(container), ...receiptReadRoutesFrom(container)]);
 */
export function apiHandlerFrom(c: Get, auth: ApiKeyAuth, routes: readonly ApiRoute[], fn: MetricsFunction = 'upload') {
  return createApiRouter(routes, { auth, logger: resolve(c, TOKENS.Logger), metrics: metricsOf(c, fn) });
}

/**
 * Each handler is built from the tokens it needs and nothing else, so that an AWS container for
 * one function binds (and its bundle loads) only that function's adapters.
 */
export function uploadHandlerFrom(c: Get, auth: ApiKeyAuth) {
  return apiHandlerFrom(c, auth, uploadRoutesFrom(c), 'upload');
}

/**
 * The receipts-read function's routes: the listing, the merchants, one receipt, its image, its
 * similar receipts (infra's API_ROUTES sends exactly these to it; a test compares the two).
 */
export function receiptsReadRoutesFrom(c: Get): ApiRoute[] {
  return [...receiptListRoutesFrom(c), ...receiptReadRoutesFrom(c), ...similarRoutesFrom(c)];
}

/** The receipts-read Lambda: {@link receiptsReadRoutesFrom}, its metrics under `receipts-read`. */
export function receiptsReadHandlerFrom(c: Get, auth: ApiKeyAuth) {
  return apiHandlerFrom(c, auth, receiptsReadRoutesFrom(c), 'receipts-read');
}

/**
 * The receipts-change function's routes: PATCH and DELETE of one receipt, and `GET /places`, the
 * merchants a correction may choose (infra's API_ROUTES sends exactly these to it).
 */
export function receiptsChangeRoutesFrom(c: Get): ApiRoute[] {
  return [...receiptChangeRoutesFrom(c), ...placeRoutesFrom(c)];
}

/** The receipts-change Lambda: {@link receiptsChangeRoutesFrom}, its metrics under `receipts-change`. */
export function receiptsChangeHandlerFrom(c: Get, auth: ApiKeyAuth) {
  return apiHandlerFrom(c, auth, receiptsChangeRoutesFrom(c), 'receipts-change');
}

/**
 * The pipeline Lambda: the operator routes ({@link pipelineRoutesFrom}; 403 to every caller not
 * bound as an operator), its metrics under `pipeline`.
 */
export function pipelineHandlerFrom(c: Get, auth: ApiKeyAuth) {
  return apiHandlerFrom(c, auth, pipelineRoutesFrom(c), 'pipeline');
}

/**
 * The receipts-export Lambda: `GET /export` only ({@link exportRoutesFrom}; with ExportArtifacts
 * bound, written to the bucket and answered 303), its metrics under `receipts-export`.
 */
export function receiptsExportHandlerFrom(c: Get, auth: ApiKeyAuth) {
  return apiHandlerFrom(c, auth, exportRoutesFrom(c), 'receipts-export');
}

/** Every route the local server serves: the whole API of the AWS functions together (API_ROUTE_KEYS). */
export function localApiRoutesFrom(c: Get): ApiRoute[] {
  return [
    ...uploadRoutesFrom(c),
    ...receiptsReadRoutesFrom(c),
    ...receiptsChangeRoutesFrom(c),
    ...pipelineRoutesFrom(c),
    ...exportRoutesFrom(c),
  ];
}

/** The local server's API handler: {@link localApiRoutesFrom} behind one router. */
export function localApiHandlerFrom(c: Get, auth: ApiKeyAuth) {
  return apiHandlerFrom(c, auth, localApiRoutesFrom(c));
}

/** The queue's redrive limit and the way to the records' queue, when the container binds them. */
function queueConsumerOptions(c: Get): { maxReceiveCount?: number; sourceOf?: EventSourceResolver } {
  const maxReceiveCount = resolveOptional(c, TOKENS.MaxReceiveCount);
  const sourceOf = resolveOptional(c, TOKENS.EventSources);
  return { ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }), ...(sourceOf ? { sourceOf } : {}) };
}

export function processOcrResultsHandlerFrom(c: Get, options: ProcessOcrResultsHandlerOptions = {}) {
  return createProcessOcrResultsHandler(
    {
      ...jobTableFrom(c),
      artifacts: resolve(c, TOKENS.Artifacts),
      deltas: resolve(c, TOKENS.Deltas),
      embedder: resolve(c, TOKENS.Embedder),
      vectors: resolve(c, TOKENS.VectorIndex),
      places: resolve(c, TOKENS.Places),
      clock: resolve(c, TOKENS.Clock),
      logger: resolve(c, TOKENS.Logger),
      metrics: metricsOf(c, 'process-ocr-results'),
    },
    { ...queueConsumerOptions(c), ...options },
  );
}

export function streamProcessorFrom(c: Get) {
  return createStreamProcessor({
    compactionQueue: resolve(c, TOKENS.CompactionQueue),
    logger: resolve(c, TOKENS.Logger),
    metrics: metricsOf(c, 'stream-processor'),
  });
}

export function compactionHandlerFrom(c: Get, options: CompactionHandlerOptions = {}) {
  return createCompactionHandler(
    {
      receipts: resolve(c, TOKENS.Receipts),
      runs: resolve(c, TOKENS.CompactionRuns),
      deltas: resolve(c, TOKENS.Deltas),
      vectors: resolve(c, TOKENS.VectorIndex),
      lock: resolve(c, TOKENS.CompactionLock),
      snapshots: resolve(c, TOKENS.Snapshots),
      clock: resolve(c, TOKENS.Clock),
      logger: resolve(c, TOKENS.Logger),
      metrics: metricsOf(c, 'compaction'),
      ...optionalDep('vectorSnapshots', resolveOptional(c, TOKENS.VectorSnapshots)),
    },
    { ...queueConsumerOptions(c), ...options },
  );
}

export function sweepHandlerFrom(c: Get, options: SweepHandlerOptions) {
  return createSweepHandler(
    { ...recoveryDepsFrom(c), ocrBacklog: resolve(c, TOKENS.OcrBacklog), clock: resolve(c, TOKENS.Clock) },
    options,
  );
}

/** `{ [key]: value }` when the value is bound, `{}` otherwise (exactOptionalPropertyTypes). */
function optionalDep<K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
}
