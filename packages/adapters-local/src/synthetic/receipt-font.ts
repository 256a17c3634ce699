import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GlobalFonts } from '@napi-rs/canvas';

/**
 * DejaVu Sans Mono, which tesseract reads back exactly. The npm package ships the file, so a
 * fresh machine without system fonts renders the same receipts; the Debian path is a fallback.
 */
const CANDIDATES = [packagedFont(), '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf'];
/** The family name we register the file under, so no system font of the same name interferes. */
const REGISTERED_FAMILY = 'Receiptflow Mono';

let family: string | undefined;

function packagedFont(): string | null {
  try {
    return createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf');
  } catch {
    return null;
  }
}

/**
 * The CSS font family to draw receipts with. Registers DejaVu Sans Mono explicitly the first
 * time; if no file loads, falls back to the generic `monospace` family rather than failing,
 * because a slightly worse OCR read beats no demo at all.
 */
export function receiptFontFamily(): string {
  if (family !== undefined) return family;
  const registered = CANDIDATES.some((path) => {
    try {
      return path !== null && existsSync(path) && GlobalFonts.registerFromPath(path, REGISTERED_FAMILY) !== null;
    } catch {
      return false;
    }
  });
  family = registered ? `"${REGISTERED_FAMILY}", monospace` : 'monospace';
  return family;
}
