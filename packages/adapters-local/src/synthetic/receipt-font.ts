import { existsSync } from 'node:fs';
import { GlobalFonts } from '@napi-rs/canvas';

/** Where Debian/Ubuntu install DejaVu; tesseract reads its monospace face back exactly. */
const DEJAVU_MONO = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';
/** The family name we register the file under, so no system font of the same name interferes. */
const REGISTERED_FAMILY = 'Receiptflow Mono';

let family: string | undefined;

/**
 * The CSS font family to draw receipts with. Registers DejaVu Sans Mono explicitly the first
 * time; if the file is missing or will not load, falls back to the generic `monospace` family
 * rather than failing, because a slightly worse OCR read beats no demo at all.
 */
export function receiptFontFamily(): string {
  if (family !== undefined) return family;
  let registered = false;
  try {
    registered = existsSync(DEJAVU_MONO) && GlobalFonts.registerFromPath(DEJAVU_MONO, REGISTERED_FAMILY) !== null;
  } catch {
    registered = false;
  }
  family = registered ? `"${REGISTERED_FAMILY}", monospace` : 'monospace';
  return family;
}
