/**
 * Bytes that look like a complete PNG (signature, padding, IEND trailer) to the stand-in Vision
 * helper, which checks only the frame, not the pixels. Longer than 64 bytes, so that the contract
 * suite's truncated copy lacks the trailer.
 */
export const SAMPLE_PNG = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  ...new Array<number>(80).fill(0),
  0x00,
  0x00,
  0x00,
  0x00,
  0x49,
  0x45,
  0x4e,
  0x44,
  0xae,
  0x42,
  0x60,
  0x82,
]);
