import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  demoReceipts,
  renderReceipt,
  renderReceiptJpeg,
  syntheticCatalog,
} from '@receiptflow/adapters-local/synthetic';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README's `pnpm exec receipts …` lines, run as printed from inside the repository (pnpm
// exec finds only root-level bins, so this fails unless the root links @receiptflow/handlers).
// Real tesseract on three receipts, plus a pnpm start-up per command (about twenty): one to
// three minutes on a loaded machine.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const README_PORT = 8787; // the documented default of serve, submit and status

let readmeLines: string[];
let cwd: string;

beforeAll(async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  readmeLines = blocks.flatMap((b) => b.split('\n')).filter((l) => l.startsWith('pnpm exec receipts'));
  // Inside the repository (so pnpm finds the workspace), in a git-ignored scratch folder.
  await mkdir(join(ROOT, '.tmp'), { recursive: true });
  cwd = await mkdtemp(join(ROOT, '.tmp', 'readme-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** Resolves once no process of group `pgid` is left; SIGKILLs the group after a minute. */
async function groupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      process.kill(-pgid, Date.now() < deadline ? 0 : 'SIGKILL');
    } catch {
      return; // ESRCH: the group is empty
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function commandLine(prefix: string): string {
  const line = readmeLines.find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`README has no line starting with "${prefix}"; it shows: ${readmeLines.join(' | ')}`);
  // Drop a trailing "# comment", as the shell does.
  return line.replace(/\s+#.*$/, '');
}

function sh(line: string) {
  return spawnSync('sh', ['-c', line], { cwd, encoding: 'utf8', timeout: 120_000 });
}

/**
 * Port 8787 is shared by every checkout on this machine: take a lock file for it, so two test
 * runs take turns instead of colliding. A lock whose owner died is taken over.
 */
async function lockPort(port: number): Promise<() => Promise<void>> {
  const path = join(tmpdir(), `receiptflow-port-${port}.lock`);
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(path, 'utf8').catch(() => '0'));
      if (!alive(owner)) await rm(path, { force: true });
      else if (Date.now() > until)
        throw new Error(`port ${port} is held by process ${owner} (lock ${path})`, { cause: error });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the README's receipts commands, run as printed", () => {
  it('shows the serve, submit and status lines', () => {
    expect(readmeLines.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(
      expect.arrayContaining([
        'pnpm exec receipts serve',
        'pnpm exec receipts submit',
        'pnpm exec receipts status',
        'pnpm exec receipts list',
        'pnpm exec receipts show',
        'pnpm exec receipts fix',
        'pnpm exec receipts rm',
        'pnpm exec receipts export',
      ]),
    );
  });

  // The command's own limit (sh, above) is 120 s: on a loaded 2-core machine pnpm and tsx alone
  // took over the default 30 s.
  it('`pnpm exec receipts --help` finds the bin from inside the repository', { timeout: 120_000 }, () => {
    const result = sh(commandLine('pnpm exec receipts --help'));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('usage: receipts <command>');
  });

  /**
   * The README's walkthrough, run as printed against the same server: a folder (a copy of
   * receipt1.jpg, which is a duplicate, and a third receipt), list, filter, show, fix, rm, export.
   */
  async function walkthrough(first: { image_id: string; place_id: string }[]) {
    const [harbor, kettle] = first as [{ image_id: string; place_id: string }, { image_id: string; place_id: string }];
    const third = demoReceipts()[2]!;
    await mkdir(join(cwd, 'receipts', 'march'), { recursive: true });
    await copyFile(join(cwd, 'receipt1.jpg'), join(cwd, 'receipts', 'march', 'harbor-again.jpg'));
    await writeFile(join(cwd, 'receipts', 'third.png'), (await renderReceipt(third.spec)).png);
    const ok = (line: string) => {
      const result = sh(line);
      expect(result.status, `${line}\n${result.stderr}`).toBe(0);
      return result.stdout;
    };
    const folder = ok(commandLine('pnpm exec receipts submit receipts/'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(folder).toEqual([
      expect.objectContaining({ file: 'receipts/march/harbor-again.jpg', duplicate: true, image_id: harbor.image_id }),
      expect.objectContaining({ file: 'receipts/third.png', stage: 'compacted', place_id: third.truth.place_id }),
    ]);
    const thirdId = String(folder[1]!.image_id);

    const table = ok(commandLine('pnpm exec receipts list')).trim().split('\n');
    expect(table[0]).toMatch(/^ID\s+DATE\s+TOTAL\s+MERCHANT$/);
    expect(table).toHaveLength(4);
    const ids = (out: string) =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]);
    const filtered = ok(commandLine('pnpm exec receipts list --merchant').replace('<place_id>', harbor.place_id));
    expect(ids(filtered).slice(1)).toEqual([`${harbor.image_id}/1`]);
    const milk = ok(commandLine('pnpm exec receipts list --text'));
    expect(
      milk
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { image_id: string }).image_id),
    ).toEqual([harbor.image_id]);
    expect(ok(commandLine('pnpm exec receipts show').replace('<image_id>', harbor.image_id))).toContain(
      'HARBOR LANE GROCERY',
    );

    ok(
      commandLine('pnpm exec receipts fix <image_id> --merchant')
        .replace('<image_id>', thirdId)
        .replace('<place_id>', kettle.place_id),
    );
    ok(commandLine('pnpm exec receipts fix <image_id> --field').replace('<image_id>', thirdId));
    ok(commandLine('pnpm exec receipts fix <image_id> --item').replace('<image_id>', thirdId));
    const fixed = JSON.parse(ok(`pnpm exec receipts show ${thirdId} --json`)) as {
      receipt: {
        fields: {
          date: { value: string; source: string };
          total: { minor: number };
          line_items: { description: string; quantity: number | null; amount: { minor: number }; source: string }[];
        };
      };
      merchant: { place_id: string; source: string };
    };
    expect(fixed.merchant).toMatchObject({ place_id: kettle.place_id, source: 'user' });
    expect(fixed.receipt.fields.date).toMatchObject({ value: '2024-03-15', source: 'user' });
    expect(fixed.receipt.fields.total.minor).toBe(2310);
    expect(fixed.receipt.fields.line_items).toEqual([
      expect.objectContaining({ description: 'Oat milk', quantity: 2, amount: { minor: 498, currency: 'USD' } }),
      expect.objectContaining({ description: 'Bread', quantity: null, amount: { minor: 320, currency: 'USD' } }),
    ]);
    expect(fixed.receipt.fields.line_items.every((i) => i.source === 'user')).toBe(true);

    expect(ok(commandLine('pnpm exec receipts rm').replace('<image_id>', kettle.image_id))).toContain('deleted');
    ok(commandLine('pnpm exec receipts export --format csv'));
    ok(commandLine('pnpm exec receipts export --format jsonl'));
    // The deleted receipt is gone from the export; the corrections are in it.
    const rows = parse(await readFile(join(cwd, 'receipts.csv'), 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows.map((r) => r.image_id).sort()).toEqual([harbor.image_id, thirdId].sort());
    expect(rows.find((r) => r.image_id === thirdId)).toMatchObject({
      date: '2024-03-15',
      total: '23.10',
      currency: 'USD',
      place_id: kettle.place_id,
      merchant_source: 'user',
    });
    const jsonl = (await readFile(join(cwd, 'receipts.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { image_id: string });
    expect(jsonl.map((r) => r.image_id)).toEqual(rows.map((r) => r.image_id));
  }

  it('serve, then submit two receipts, then status, then the walkthrough', { timeout: 600_000 }, async () => {
    const [first, second] = demoReceipts();
    await writeFile(join(cwd, 'my-places.json'), JSON.stringify(syntheticCatalog()));
    await writeFile(join(cwd, 'receipt1.jpg'), await renderReceiptJpeg(first!.spec));
    await writeFile(join(cwd, 'receipt2.png'), (await renderReceipt(second!.spec)).png);

    const unlock = await lockPort(README_PORT);
    // Its own process group, so the test can stop pnpm and the serve under it together.
    const serve = spawn('sh', ['-c', commandLine('pnpm exec receipts serve')], {
      cwd,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let serveLog = '';
    try {
      await new Promise<void>((resolve, reject) => {
        serve.stderr.on('data', (chunk: Buffer) => {
          serveLog += chunk.toString();
          if (serveLog.includes('receipts serve listening on http://127.0.0.1:8787')) resolve();
        });
        serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${serveLog}`)));
      });

      const submitted = sh(commandLine('pnpm exec receipts submit'));
      expect(submitted.status, submitted.stderr).toBe(0);
      const results = submitted.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);
      expect(results).toEqual([
        expect.objectContaining({ file: 'receipt1.jpg', stage: 'compacted', place_id: first!.truth.place_id }),
        expect.objectContaining({ file: 'receipt2.png', stage: 'compacted', place_id: second!.truth.place_id }),
      ]);

      const status = sh(commandLine('pnpm exec receipts status').replace('<image_id>', results[0]!.image_id!));
      expect(status.status, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ image_id: results[0]!.image_id, stage: 'compacted' });

      await walkthrough(results as { image_id: string; place_id: string }[]);
    } finally {
      if (serve.exitCode === null && serve.pid) {
        const exited = new Promise((r) => serve.once('exit', r));
        process.kill(-serve.pid, 'SIGTERM');
        await exited;
        // `sh` exits at once; the serve under pnpm finishes its stop (a checkpoint) after it.
        // Wait for the whole group, so the scratch folder is not deleted under a live serve.
        await groupGone(serve.pid);
      }
      await unlock();
    }
  });
});
