/**
 * A HEIF container with no decodable pixels, for header tests: the boxes a reader needs to sniff
 * the brand and find the primary image's size and transforms (`ftyp`, `meta` with `pitm` and
 * `iprp/ipco/ipma`, then `mdat`). Real, decodable HEIC fixtures are encoded by libheif
 * (packages/adapters-local/scripts/make-heic-fixtures.ts).
 */
export interface HeifContainerOptions {
  /** Major brand: `heic` (HEVC, an iPhone's), `mif1` (generic HEIF), `avif`, … Default `heic`. */
  brand?: string;
  width: number;
  height: number;
  /** `irot` angle, counter-clockwise degrees. */
  rotation?: 0 | 90 | 180 | 270;
  /** An `imir` property (axis 0: top and bottom exchanged). */
  mirror?: boolean;
  /** More images' sizes (`ispe` of tiles or thumbnails), not associated with the primary item. */
  otherSizes?: { width: number; height: number }[];
  /** Bytes cut from the end, as a broken upload would. */
  truncateBy?: number;
}

const enc = (s: string) => [...s].map((c) => c.charCodeAt(0));
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const box = (type: string, ...payload: number[][]) => {
  const body = payload.flat();
  return [...be32(8 + body.length), ...enc(type), ...body];
};
const fullBox = (type: string, version: number, flags: number, ...payload: number[][]) =>
  box(type, [version, (flags >> 16) & 0xff, (flags >> 8) & 0xff, flags & 0xff], ...payload);

/**
 * @example
 * const bomb = heifContainer({ width: 100_000, height: 100_000 });
 * expect(() => inspectImage(bomb)).toThrow(/above the 50 MP limit/);
 */
export function heifContainer(options: HeifContainerOptions): Uint8Array {
  const brand = options.brand ?? 'heic';
  const ispe = (w: number, h: number) => fullBox('ispe', 0, 0, be32(w), be32(h));
  const properties: number[][] = [ispe(options.width, options.height)];
  if (options.rotation) properties.push(box('irot', [options.rotation / 90]));
  if (options.mirror) properties.push(box('imir', [0]));
  const primaryIndexes = properties.map((_, i) => i + 1);
  for (const size of options.otherSizes ?? []) properties.push(ispe(size.width, size.height));
  const ipma = fullBox(
    'ipma',
    0,
    0,
    be32(1),
    [0, 1, primaryIndexes.length], // item 1, its association count
    primaryIndexes.map((i) => 0x80 | i), // essential, index
  );
  const meta = fullBox(
    'meta',
    0,
    0,
    fullBox('hdlr', 0, 0, be32(0), enc('pict'), be32(0), be32(0), be32(0), [0]),
    fullBox('pitm', 0, 0, [0, 1]),
    box('iprp', box('ipco', ...properties), ipma),
  );
  const ftyp = box('ftyp', enc(brand), be32(0), enc('mif1'), enc(brand));
  const mdat = box('mdat', new Array<number>(64).fill(0x2a));
  const bytes = Uint8Array.from([...ftyp, ...meta, ...mdat]);
  return bytes.subarray(0, bytes.length - (options.truncateBy ?? 0));
}
