import {
  ACCEPTED_CONTENT_TYPES,
  DEFAULT_OWNER,
  newPendingJob,
  ocrJobMessage,
  OwnerSchema,
  ownerOf,
  sha256Hex,
  type ImageContentType,
  type ImageHashClaim,
  type ImageRecord,
} from '../domain/index.js';
import { inspectImage } from '../domain/image-inspection.js';
import { checkPdfPages, PDF_CONTENT_TYPE } from '../domain/pdf-inspection.js';
import {
  ConditionFailedError,
  ContentTypeMismatchError,
  InvalidUploadError,
  NotFoundError,
  ValidationError,
} from '../errors.js';
import {
  isoNow,
  type Clock,
  type IdGenerator,
  type OcrJobStore,
  type NamedImageStore,
  type PresignedUpload,
  type PdfPageReader,
  type Queue,
} from '../ports/index.js';

export interface SubmitJobDeps {
  jobs: OcrJobStore;
  /** Where uploads land; its bucket name is recorded on the image and sent to the OCR worker. */
  images: NamedImageStore;
  ocrQueue: Queue;
  clock: Clock;
  ids: IdGenerator;
  /**
   * Where the OCR worker should write the OCR JSON (the artifacts bucket), sent as
   * `ocr_s3_bucket`. Omit it when OCR JSON goes to the image's own bucket.
   */
  ocrBucket?: string;
  /**
   * Reads a PDF's page tree, so a PDF with too many pages or a huge page is refused at upload
   * (direct, or at confirmUpload) rather than failing its job at the OCR step. Omitted: those
   * two limits are checked by the OCR step alone.
   */
  pdfPages?: PdfPageReader;
}

export interface SubmitJobInput {
  filename: string;
  contentType: string;
  /** Direct upload: the image bytes. Omit for a presigned PUT URL. */
  body?: Uint8Array;
  /** Presigned upload lifetime, default 900 s. */
  uploadUrlExpiresInSeconds?: number;
  /** Presigned uploads: the most bytes the client will send, default and at most {@link MAX_PRESIGNED_UPLOAD_BYTES}. */
  maxBytes?: number;
  /** Direct uploads: refuse images above this many pixels (default: inspectImage's limit). */
  maxPixels?: number;
  /** Who uploads it (the API key's owner); absent: DEFAULT_OWNER. Stored on the image. */
  owner?: string;
}

export interface SubmitJobResult {
  job_id: string;
  image_id: string;
  s3_key: string;
  /** Present for presigned uploads: send the bytes as it says, then call confirmUpload. */
  upload: PresignedUpload | null;
  /**
   * True when the owner uploaded these bytes before: `image_id`, `job_id` and `s3_key` are the
   * existing image's, and nothing new was stored or queued. Absent for a new image.
   */
  duplicate?: true;
}

const DEFAULT_UPLOAD_URL_EXPIRY_SECONDS = 900;
/** The largest presigned upload: 25 MiB holds any receipt photo, far below a 50 MP bomb's size. */
export const MAX_PRESIGNED_UPLOAD_BYTES = 25 * 1024 * 1024;
const MAX_SAFE_FILENAME_LENGTH = 100;

/**
 * A filename reduced to one safe key segment: no directories, only `[A-Za-z0-9._-]`, no leading
 * dots, at most 100 characters. Uniqueness comes from the image id in the key, never from this.
 */
export function safeFilename(filename: string): string {
  const base = filename.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._]+/, '');
  if (cleaned.length <= MAX_SAFE_FILENAME_LENGTH) return cleaned || 'upload';
  // Keep the extension when shortening: content sniffing is not everyone's habit.
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : '';
  return cleaned.slice(0, MAX_SAFE_FILENAME_LENGTH - ext.length) + ext;
}

/** The raw-image key of one upload: `raw/<image_id>/<safe filename>`. */
export function rawImageKey(imageId: string, filename: string): string {
  return `raw/${imageId}/${safeFilename(filename)}`;
}

function validateInput(input: SubmitJobInput): ImageContentType {
  const issues: string[] = [];
  if (typeof input.filename !== 'string' || input.filename.trim() === '') issues.push('filename is empty');
  else if (input.filename.length > 255) issues.push(`filename is ${input.filename.length} characters, at most 255`);
  if (!(ACCEPTED_CONTENT_TYPES as readonly string[]).includes(input.contentType)) {
    issues.push(`contentType "${input.contentType}" is not one of ${ACCEPTED_CONTENT_TYPES.join(', ')}`);
  }
  if (input.body !== undefined && input.body.length === 0) issues.push('body is empty');
  if (input.owner !== undefined && !OwnerSchema.safeParse(input.owner).success) {
    issues.push(`owner "${input.owner}" is not 1..128 of letters, digits, ".", "_", "@" and "-"`);
  }
  if (
    input.maxBytes !== undefined &&
    (!Number.isInteger(input.maxBytes) || input.maxBytes < 1 || input.maxBytes > MAX_PRESIGNED_UPLOAD_BYTES)
  ) {
    issues.push(`maxBytes ${input.maxBytes} is not an integer in 1..${MAX_PRESIGNED_UPLOAD_BYTES}`);
  }
  if (issues.length > 0) throw new ValidationError('invalid upload', issues);
  return input.contentType as ImageContentType;
}

/**
 * Stores the image under a key unique to this upload (never the filename alone), writes the
 * image and a PENDING OCR job, and (for direct uploads) sends the seed-shaped
 * `{job_id, image_id, s3_bucket, s3_key}` (plus `ocr_s3_bucket`) to ocr-queue.
 * Throws ValidationError naming the bad field (content type, empty body, filename) or what is
 * wrong with the bytes (not an image, truncated, over the pixel limit), and
 * ContentTypeMismatchError when the bytes are another accepted format than declared: the sniffed
 * type decides, so nothing is stored or queued under a type it is not.
 *
 * @example
 * // Direct upload: stored and queued for OCR at once.
 * const { image_id, job_id } = await submitJob(deps, { filename: 'lunch.jpg', contentType: 'image/jpeg', body: bytes });
 * // Presigned upload: no bytes yet; the client sends them as `upload` says, then calls confirmUpload.
 * const { upload } = await submitJob(deps, { filename: 'lunch.jpg', contentType: 'image/jpeg', maxBytes: 4_000_000 });
 */
export async function submitJob(deps: SubmitJobDeps, input: SubmitJobInput): Promise<SubmitJobResult> {
  const contentType = validateInput(input);
  if (input.body !== undefined) {
    const info = inspectImage(input.body, input.maxPixels === undefined ? {} : { maxPixels: input.maxPixels });
    if (info.contentType !== contentType) throw new ContentTypeMismatchError(contentType, info.contentType);
    await checkPages(deps, input.body, info.contentType);
  }
  const image_id = deps.ids.newId();
  const job_id = deps.ids.newId();
  const s3_key = rawImageKey(image_id, input.filename);
  const now = isoNow(deps.clock);
  let sha256: string | undefined;

  if (input.body !== undefined) {
    // Checked before anything is stored: a duplicate writes no object, image, job or message.
    sha256 = await sha256Hex(input.body);
    const claim: ImageHashClaim = {
      owner: input.owner ?? DEFAULT_OWNER,
      sha256,
      image_id,
      job_id,
      s3_key,
      filename: input.filename,
      content_type: contentType,
      claimed_at: now,
    };
    const holder = await deps.jobs.claimImageHash(claim);
    if (holder.image_id !== image_id) return answerHolder(deps, holder, input.body);
  }
  return storeAndQueue(deps, input, { image_id, job_id, s3_key, now, contentType, sha256 });
}

/**
 * The answer to an upload of bytes that `holder` claimed first. When the holder's image and job
 * exist, it is a duplicate: nothing is written. When they do not, the upload that claimed the
 * bytes died before writing them (a client then retries: handlers' fault-injection test kills the
 * server right there) or is writing them now; either way this call writes the same object, image
 * and job the holder would (all conditional creates, so identical rows are a benign repeat) and
 * sends its OCR message. Of two racing writers both may send it: the OCR worker's PENDING →
 * PROCESSING claim makes the second a no-op. So no claim ever points at an image that never
 * comes, and no time-out decides whether a holder is alive.
 */
async function answerHolder(deps: SubmitJobDeps, holder: ImageHashClaim, body: Uint8Array): Promise<SubmitJobResult> {
  const answer = { job_id: holder.job_id, image_id: holder.image_id, s3_key: holder.s3_key, upload: null };
  if (await holderComplete(deps.jobs, holder)) return { ...answer, duplicate: true };
  // The owner as the holder's image row has it (an upload may name the default owner or not).
  const written = await deps.jobs.getImage(holder.image_id);
  const owner = written ? written.owner : holder.owner === DEFAULT_OWNER ? undefined : holder.owner;
  const input: SubmitJobInput = {
    filename: holder.filename,
    contentType: holder.content_type,
    body,
    ...(owner === undefined ? {} : { owner }),
  };
  try {
    await storeAndQueue(deps, input, {
      image_id: holder.image_id,
      job_id: holder.job_id,
      s3_key: holder.s3_key,
      now: holder.claimed_at,
      contentType: holder.content_type,
      sha256: holder.sha256,
    });
  } catch (error) {
    // The holder's own writer got further meanwhile (its job moved on): its rows stand.
    if (!(error instanceof ConditionFailedError && (await holderComplete(deps.jobs, holder)))) throw error;
    return { ...answer, duplicate: true };
  }
  return answer;
}

async function holderComplete(jobs: OcrJobStore, holder: ImageHashClaim): Promise<boolean> {
  if (!(await jobs.getImage(holder.image_id))) return false;
  return (await jobs.getJob(holder.job_id)) !== null;
}

async function storeAndQueue(
  deps: SubmitJobDeps,
  input: SubmitJobInput,
  ids: {
    image_id: string;
    job_id: string;
    s3_key: string;
    now: string;
    contentType: ImageContentType;
    sha256: string | undefined;
  },
): Promise<SubmitJobResult> {
  const { image_id, job_id, s3_key, now, contentType, sha256 } = ids;
  const direct = input.body !== undefined;
  if (input.body !== undefined) {
    // Metadata values of any type: the adapter stringifies them (S3 metadata is strings only).
    await deps.images.put(s3_key, input.body, {
      contentType,
      metadata: { image_id, job_id, original_filename: input.filename, size_bytes: input.body.length },
    });
  }
  const image: ImageRecord = {
    image_id,
    filename: input.filename,
    content_type: contentType,
    s3_bucket: deps.images.bucket,
    s3_key,
    upload_state: direct ? 'UPLOADED' : 'AWAITING_UPLOAD',
    size_bytes: input.body?.length ?? null,
    created_at: now,
    ...(input.owner !== undefined ? { owner: input.owner } : {}),
    ...(sha256 === undefined ? {} : { sha256 }),
  };
  await deps.jobs.createImage(image);
  const job = newPendingJob(job_id, image, now);
  await deps.jobs.createJob(job);

  if (direct) {
    await deps.ocrQueue.send(JSON.stringify(ocrJobMessage(job, deps.ocrBucket)));
    return { job_id, image_id, s3_key, upload: null };
  }
  const upload = await presign(deps, s3_key, contentType, input);
  return { job_id, image_id, s3_key, upload };
}

/** A PDF's page count and page sizes, when the deps can read them (ValidationError naming the problem). */
async function checkPages(deps: SubmitJobDeps, body: Uint8Array, contentType: string): Promise<void> {
  if (contentType !== PDF_CONTENT_TYPE || deps.pdfPages === undefined) return;
  const sizes = await deps.pdfPages.pageSizes(body);
  if (sizes !== null) checkPdfPages(sizes);
}

function presign(
  deps: SubmitJobDeps,
  key: string,
  contentType: string,
  input: Pick<SubmitJobInput, 'maxBytes' | 'uploadUrlExpiresInSeconds'> = {},
): Promise<PresignedUpload> {
  return deps.images.presignUpload(key, {
    contentType,
    maxBytes: input.maxBytes ?? MAX_PRESIGNED_UPLOAD_BYTES,
    expiresInSeconds: input.uploadUrlExpiresInSeconds ?? DEFAULT_UPLOAD_URL_EXPIRY_SECONDS,
  });
}

/**
 * Completes a presigned upload: checks the object landed and is an acceptable image of the
 * declared type (the same inspection as a direct upload: not an image, truncated, over 50 MP),
 * marks the image UPLOADED and sends the OCR job message. Idempotent: a second call sends nothing.
 *
 * Bad bytes never reach OCR and never fail the job: they are deleted and InvalidUploadError
 * carries a fresh presigned upload for the same image, so the client can send a good one.
 *
 * Duplicates are found here, the first moment the bytes are known: when the owner uploaded the
 * same bytes before (as another image), this image's work is dropped (its landed object is
 * deleted, its job FAILED with reason `duplicate of image <id>`, nothing is queued) and the
 * answer is the existing image with `duplicate: true`, on this call and every later one.
 *
 * The message is sent before the image is marked UPLOADED: a crash in between makes the next
 * call send again (a duplicate OCR message is harmless), never leaves a job that nobody sends.
 *
 * @example
 * const { image_id, upload } = await submitJob(deps, { filename: 'r.png', contentType: 'image/png' });
 * // … the client PUTs (locally) or form-POSTs (S3) the bytes to `upload` …
 * const { enqueued } = await confirmUpload(deps, { image_id }); // true once; false when called again
 */
export async function confirmUpload(
  deps: SubmitJobDeps,
  input: { image_id: string; maxPixels?: number },
): Promise<ConfirmUploadResult> {
  const image = await deps.jobs.getImage(input.image_id);
  if (!image) throw new NotFoundError('image', input.image_id);
  const jobs = await deps.jobs.listJobsForImage(image.image_id);
  const job = [...jobs].sort((a, b) => a.created_at.localeCompare(b.created_at))[0];
  if (!job) throw new NotFoundError('OCR job for image', image.image_id);
  if (image.upload_state === 'UPLOADED') {
    const holder = image.sha256 === undefined ? null : await deps.jobs.getImageHashClaim(ownerOf(image), image.sha256);
    if (holder && holder.image_id !== image.image_id) return duplicateOf(holder);
    return { job_id: job.job_id, image_id: image.image_id, enqueued: false };
  }

  const landed = await deps.images.head(image.s3_key);
  if (!landed) throw new NotFoundError('uploaded object', image.s3_key);
  const { body } = await deps.images.get(image.s3_key);
  const problem = await inspectLanded(deps, body, image, input.maxPixels);
  if (problem) {
    await deps.images.delete(image.s3_key);
    const upload = await presign(deps, image.s3_key, image.content_type);
    throw new InvalidUploadError(image.image_id, problem.reason, upload, { cause: problem.cause });
  }
  const sha256 = await sha256Hex(body);
  const holder = await deps.jobs.claimImageHash({
    owner: ownerOf(image),
    sha256,
    image_id: image.image_id,
    job_id: job.job_id,
    s3_key: image.s3_key,
    filename: image.filename,
    content_type: image.content_type,
    claimed_at: isoNow(deps.clock),
  });
  if (holder.image_id !== image.image_id) {
    // The bytes are the holder's image: finish it if its upload died half-way, then drop ours.
    await answerHolder(deps, holder, body);
    await deps.images.delete(image.s3_key);
    if (job.status === 'PENDING') {
      await deps.jobs.transitionJob(job.job_id, 'PENDING', 'FAILED', {
        failure_reason: `duplicate of image ${holder.image_id}`,
      });
    }
    // UPLOADED with its hash: a repeated call answers from the claim (above), and the sweep
    // never sends a job that is FAILED.
    await deps.jobs.markImageUploaded(image.image_id, landed.size, sha256);
    return duplicateOf(holder);
  }
  await deps.ocrQueue.send(JSON.stringify(ocrJobMessage(job, deps.ocrBucket)));
  await deps.jobs.markImageUploaded(image.image_id, landed.size, sha256);
  return { job_id: job.job_id, image_id: image.image_id, enqueued: true };
}

export interface ConfirmUploadResult {
  job_id: string;
  image_id: string;
  enqueued: boolean;
  /** The owner uploaded these bytes before: `image_id` and `job_id` are the existing image's. */
  duplicate?: true;
}

function duplicateOf(holder: ImageHashClaim): ConfirmUploadResult {
  return { job_id: holder.job_id, image_id: holder.image_id, enqueued: false, duplicate: true };
}

/** What is wrong with the landed bytes, or null when they are a good image of the declared type. */
async function inspectLanded(
  deps: SubmitJobDeps,
  body: Uint8Array,
  image: ImageRecord,
  maxPixels: number | undefined,
): Promise<{ reason: string; cause?: unknown } | null> {
  try {
    const info = inspectImage(body, maxPixels === undefined ? {} : { maxPixels });
    if (info.contentType !== image.content_type)
      return { reason: `declared ${image.content_type} but the bytes are ${info.contentType}` };
    await checkPages(deps, body, info.contentType);
    return null;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { reason: error.message, cause: error };
  }
}
