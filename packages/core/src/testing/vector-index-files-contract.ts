import { expect, it } from 'vitest';
import { ConditionFailedError } from '../errors.js';
import type { VectorIndexFiles } from '../ports/index.js';
import { type ContractSubject, defineContract } from './contract-helpers.js';

/** What a VectorIndexFiles contract factory returns: an empty index root of its own. */
export type VectorIndexFilesContractSubject = ContractSubject<VectorIndexFiles>;

const text = (value: string) => new TextEncoder().encode(value);
const asText = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

/** Bytes no two positions of which repeat in a short period, so a misplaced range shows. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Byte equality that ignores the array class (a Buffer equals a Uint8Array) and does not diff megabytes. */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual, 'bytes read').toBeDefined();
  expect(actual!.length, 'length').toBe(expected.length);
  const first = expected.findIndex((byte, i) => actual![i] !== byte);
  expect(first, 'first differing byte').toBe(-1);
}

/**
 * The VectorIndexFiles contract (docs/vector-storage.md): the manifest swaps only from the
 * version read; a log reads back from any offset exactly as appended, and only the new bytes
 * from the offset a follower has reached; a removed log reads as undefined (not as empty); a
 * snapshot is listed complete with every file; large files round-trip byte for byte.
 */
export const describeVectorIndexFilesContract = defineContract<VectorIndexFiles>('VectorIndexFiles', (files) => {
  it('reads undefined for files that do not exist', async () => {
    expect(await files.read('manifest.json')).toBeUndefined();
    expect(await files.readVersioned('manifest.json')).toBeUndefined();
    expect(await files.readLog('lines.0.log', 0)).toBeUndefined();
    expect(await files.listLogs()).toEqual([]);
    expect(await files.listSnapshots()).toEqual([]);
  });

  it('creates the manifest only when absent, then swaps it only from the version read', async () => {
    const v1 = await files.replace('manifest.json', text('one'), null);
    await expect(files.replace('manifest.json', text('again'), null)).rejects.toBeInstanceOf(ConditionFailedError);
    const read1 = await files.readVersioned('manifest.json');
    expect(asText(read1?.bytes)).toBe('one');
    expect(read1?.version).toBe(v1);
    const v2 = await files.replace('manifest.json', text('two'), v1);
    expect(v2).not.toBe(v1);
    // A writer still holding v1 (another one swapped since) is refused, and nothing changes.
    await expect(files.replace('manifest.json', text('stale'), v1)).rejects.toBeInstanceOf(ConditionFailedError);
    expect(asText(await files.read('manifest.json'))).toBe('two');
    expect((await files.readVersioned('manifest.json'))?.version).toBe(v2);
  });

  it('expecting a version of a manifest that does not exist is refused', async () => {
    await expect(files.replace('manifest.json', text('x'), 'some-version')).rejects.toBeInstanceOf(
      ConditionFailedError,
    );
    expect(await files.read('manifest.json')).toBeUndefined();
  });

  it('a created log reads empty; appends read back from 0 and only the new bytes from an offset', async () => {
    await files.createLog('lines.1.log');
    expectBytes(await files.readLog('lines.1.log', 0), new Uint8Array(0));
    const first = pattern(300, 1);
    const second = pattern(500, 2);
    await files.appendLog('lines.1.log', 0, first, 4);
    await files.appendLog('lines.1.log', first.length, second, 4);
    const whole = await files.readLog('lines.1.log', 0);
    expectBytes(whole, new Uint8Array([...first, ...second]));
    expectBytes(await files.readLog('lines.1.log', first.length), second);
    // An offset inside an append (a follower that stopped at a torn frame) reads from there.
    expectBytes(await files.readLog('lines.1.log', 450), second.subarray(150));
    expectBytes(await files.readLog('lines.1.log', first.length + second.length), new Uint8Array(0));
    expect(await files.listLogs()).toEqual([{ name: 'lines.1.log', size: 800 }]);
  });

  it('logs are separate: one collection or generation never shows another one’s bytes', async () => {
    await files.createLog('lines.1.log');
    await files.createLog('lines.12.log');
    await files.createLog('words.1.log');
    await files.appendLog('lines.12.log', 0, text('twelve'), 1);
    await files.appendLog('words.1.log', 0, text('words'), 1);
    expect(asText(await files.readLog('lines.1.log', 0))).toBe('');
    expect(asText(await files.readLog('lines.12.log', 0))).toBe('twelve');
    expect(asText(await files.readLog('words.1.log', 0))).toBe('words');
    const logs = (await files.listLogs()).sort((a, b) => a.name.localeCompare(b.name));
    expect(logs).toEqual([
      { name: 'lines.1.log', size: 0 },
      { name: 'lines.12.log', size: 6 },
      { name: 'words.1.log', size: 5 },
    ]);
  });

  it('cutLog drops the bytes past a length and reports how many', async () => {
    await files.createLog('words.2.log');
    await files.appendLog('words.2.log', 0, text('kept'), 3);
    await files.appendLog('words.2.log', 4, text('dropped'), 3);
    expect(await files.cutLog('words.2.log', 4)).toBe(7);
    expect(asText(await files.readLog('words.2.log', 0))).toBe('kept');
    expect(await files.cutLog('words.2.log', 4)).toBe(0);
    await files.appendLog('words.2.log', 4, text('-next'), 3);
    expect(asText(await files.readLog('words.2.log', 0))).toBe('kept-next');
  });

  it('a removed log reads undefined, not empty, and is no longer listed', async () => {
    await files.createLog('lines.3.log');
    await files.appendLog('lines.3.log', 0, text('abc'), 1);
    await files.removeLog('lines.3.log');
    expect(await files.readLog('lines.3.log', 0)).toBeUndefined();
    expect(await files.readLog('lines.3.log', 3)).toBeUndefined();
    expect(await files.listLogs()).toEqual([]);
  });

  it('a written snapshot is listed complete, in name order, and its files read back', async () => {
    const big = pattern(3 * 1024 * 1024 + 17, 7);
    await files.writeSnapshot('0000000002', [
      { name: 'lines.snapshot', bytes: big },
      { name: 'snapshot.json', bytes: text('{"id":2}') },
    ]);
    await files.writeSnapshot('0000000001', [{ name: 'snapshot.json', bytes: text('{"id":1}') }]);
    expect(await files.listSnapshots()).toEqual([
      { name: '0000000001', complete: true },
      { name: '0000000002', complete: true },
    ]);
    expectBytes(await files.read('snapshots/0000000002/lines.snapshot'), big);
    expect(asText(await files.read('snapshots/0000000002/snapshot.json'))).toBe('{"id":2}');
    expect(await files.read('snapshots/0000000001/lines.snapshot')).toBeUndefined();
  });

  it('a removed snapshot is gone with its files; others stay', async () => {
    await files.writeSnapshot('0000000001', [
      { name: 'lines.snapshot', bytes: text('L1') },
      { name: 'snapshot.json', bytes: text('{"id":1}') },
    ]);
    await files.writeSnapshot('0000000002', [{ name: 'snapshot.json', bytes: text('{"id":2}') }]);
    await files.removeSnapshot('0000000001');
    expect(await files.listSnapshots()).toEqual([{ name: '0000000002', complete: true }]);
    expect(await files.read('snapshots/0000000001/lines.snapshot')).toBeUndefined();
    expect(await files.read('snapshots/0000000001/snapshot.json')).toBeUndefined();
  });

  it('snapshots are not logs and logs are not snapshots', async () => {
    await files.writeSnapshot('0000000004', [{ name: 'snapshot.json', bytes: text('{}') }]);
    await files.replace('manifest.json', text('m'), null);
    expect(await files.listLogs()).toEqual([]);
    await files.createLog('lines.4.log');
    expect(await files.listSnapshots()).toEqual([{ name: '0000000004', complete: true }]);
  });
});
