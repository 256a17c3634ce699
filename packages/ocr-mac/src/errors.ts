import { ReceiptflowError } from '@receiptflow/core';

/** The Apple Vision helper executable does not exist or cannot be executed. */
export class VisionHelperMissingError extends ReceiptflowError {
  readonly code = 'VISION_HELPER_MISSING';
  constructor(
    readonly helperPath: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Apple Vision helper not found or not executable: ${helperPath} ` +
        '(build it on macOS with packages/ocr-mac/swift/build.sh, or pass --engine tesseract)',
      options,
    );
  }
}

/** The helper ran longer than its timeout and was killed. Another attempt may pass. */
export class VisionHelperTimeoutError extends ReceiptflowError {
  readonly code = 'VISION_HELPER_TIMEOUT';
  override readonly retryable = true;
  constructor(
    readonly helperPath: string,
    readonly timeoutMs: number,
  ) {
    super(`Apple Vision helper ${helperPath} did not finish within ${timeoutMs} ms and was killed`);
  }
}

/** The helper exited with a non-zero status (other than "not an image"). */
export class VisionHelperFailedError extends ReceiptflowError {
  readonly code = 'VISION_HELPER_FAILED';
  // A crash of the helper (a Vision framework hiccup, memory pressure) may pass on redelivery.
  override readonly retryable = true;
  constructor(
    readonly helperPath: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with status ${exitCode}`;
    super(`Apple Vision helper ${helperPath} ${how}${stderr ? `: ${stderr}` : ''}`);
  }
}

/** The helper printed something that is not a valid core OCR document. */
export class VisionHelperOutputError extends ReceiptflowError {
  readonly code = 'VISION_HELPER_INVALID_OUTPUT';
  constructor(
    readonly helperPath: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Apple Vision helper ${helperPath} printed invalid output: ${message}`, options);
  }
}
