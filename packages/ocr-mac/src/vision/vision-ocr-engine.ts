import { spawn } from 'node:child_process';
import { OcrDocumentSchema, ValidationError, inspectImage, type OcrDocument, type OcrEngine } from '@receiptflow/core';
import {
  VisionHelperFailedError,
  VisionHelperMissingError,
  VisionHelperOutputError,
  VisionHelperTimeoutError,
} from '../errors.js';

export interface VisionOcrEngineConfig {
  /** The compiled Swift helper (swift/build.sh writes swift/.build/receipt-ocr-vision). */
  helperPath: string;
  /** Kill the helper after this long (default 60 s). */
  timeoutMs?: number;
  /** Refuse images above this many pixels before Vision decodes them. Default: core's inspectImage limit. */
  maxPixels?: number;
}

/**
 * Exit status the helper uses for bytes that are not a decodable image (sysexits EX_DATAERR).
 * The engine maps it to ValidationError, as the OcrEngine port promises, so the worker treats
 * the message as poison instead of retrying it.
 */
export const HELPER_EXIT_UNDECODABLE_IMAGE = 65;

/** Keep only the end of stderr in error messages: the last lines say what went wrong. */
const STDERR_TAIL = 2000;

/**
 * Apple Vision OCR through the Swift helper in `swift/`: the image bytes go to its stdin and it
 * prints one core OCR document (engine "apple-vision") on stdout, which is validated here with
 * OcrDocumentSchema. Runs one helper process per image, so concurrent jobs do not share state.
 */
export class VisionOcrEngine implements OcrEngine {
  readonly name = 'apple-vision';
  private readonly helperPath: string;
  private readonly timeoutMs: number;
  private readonly maxPixels: number | undefined;

  /**
   * Runs the compiled Swift helper once per image; nothing starts until `recognize`.
   *
   * @example
   * const ocr = new VisionOcrEngine({ helperPath: 'packages/ocr-mac/swift/.build/receipt-ocr-vision', timeoutMs: 30_000 });
   * const doc = await ocr.recognize(jpegBytes);
   */
  constructor(config: VisionOcrEngineConfig) {
    this.helperPath = config.helperPath;
    this.timeoutMs = config.timeoutMs ?? 60_000;
    this.maxPixels = config.maxPixels;
  }

  /**
   * The bytes go to Vision exactly as uploaded: HEIC too, which ImageIO reads natively (with its
   * irot/imir as the orientation the helper honours), so nothing is decoded or re-encoded here.
   * The header is checked first (core's inspectImage): a non-image or a bomb, a HEIC declaring
   * 100,000 × 100,000 pixels say, is refused before Vision allocates for it.
   */
  async recognize(image: Uint8Array): Promise<OcrDocument> {
    if (image.byteLength === 0) throw new ValidationError('image is empty', ['image: 0 bytes']);
    inspectImage(image, this.maxPixels === undefined ? {} : { maxPixels: this.maxPixels });
    const { stdout, exitCode, signal, stderr } = await this.runHelper(image);
    if (exitCode === HELPER_EXIT_UNDECODABLE_IMAGE) {
      throw new ValidationError('image could not be decoded by Apple Vision', [stderr || 'not an image']);
    }
    if (exitCode !== 0) throw new VisionHelperFailedError(this.helperPath, exitCode, signal, stderr);
    return this.parse(stdout);
  }

  private parse(stdout: string): OcrDocument {
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch (error) {
      throw new VisionHelperOutputError(this.helperPath, `not JSON (${stdout.length} characters)`, { cause: error });
    }
    const parsed = OcrDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new VisionHelperOutputError(this.helperPath, `not an OCR document: ${issues.join('; ')}`);
    }
    return parsed.data;
  }

  private runHelper(
    image: Uint8Array,
  ): Promise<{ stdout: string; stderr: string; exitCode: number | null; signal: string | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.helperPath, [], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      let timedOut = false;
      let settled = false;
      // Kills a hung Swift helper: a deadline on a real child process, which a fake clock could
      // not stop either, so it is a timer rather than the injected clock.
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.timeoutMs);

      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'EACCES') {
          fail(new VisionHelperMissingError(this.helperPath, { cause: error }));
        } else {
          fail(new VisionHelperFailedError(this.helperPath, null, null, error.message));
        }
      });
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        err = (err + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      // A helper that exits without reading all of stdin closes the pipe: EPIPE is not our
      // failure to report; its exit status is.
      child.stdin.on('error', () => {});
      child.on('close', (exitCode, signal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (timedOut) {
          reject(new VisionHelperTimeoutError(this.helperPath, this.timeoutMs));
          return;
        }
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: err.trim(), exitCode, signal });
      });
      child.stdin.end(image);
    });
  }
}
