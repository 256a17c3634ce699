/** Where `receipts submit` stands. */
export interface SubmitProgress {
  /** Files to upload (images found). */
  total: number;
  uploaded: number;
  /** Uploads the server had already (counted in `done` too). */
  duplicates: number;
  /** Compacted, failed or duplicate: nothing more to wait for. */
  done: number;
  failed: number;
}

/**
 * The one progress bar of `receipts submit`, on stderr. On a terminal it redraws one line in
 * place; elsewhere (a log file, CI, a test) it writes a line only when the figures change, so a
 * folder of 500 receipts gives a readable log instead of 500 carriage returns. Hand-written
 * rather than cli-progress: it is one line of text, and cli-progress prints nothing at all
 * when stderr is not a terminal unless configured, which is where the log matters most.
 *
 * @example
 * const bar = ProgressBar.forStderr();
 * bar.update({ total: 3, uploaded: 1, duplicates: 0, done: 0, failed: 0 });
 * bar.finish();
 */
export class ProgressBar {
  private last = '';
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
  ) {}

  /** The bar on this process's stderr, redrawn in place when stderr is a terminal. */
  static forStderr(): ProgressBar {
    return new ProgressBar((text) => process.stderr.write(text), process.stderr.isTTY === true);
  }

  update(p: SubmitProgress): void {
    const text = render(p);
    if (text === this.last) return;
    this.last = text;
    if (this.tty) {
      // \x1b[K clears what a longer previous line left behind.
      this.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else this.write(`${text}\n`);
  }

  /** Ends the bar's line on a terminal, so that what follows starts on its own line. */
  finish(): void {
    if (this.tty && this.drawn) this.write('\n');
    this.drawn = false;
  }
}

/** `[########------------] 8/20 done · uploaded 12/20 · 2 duplicates · 0 failed` */
export function render(p: SubmitProgress): string {
  const width = 20;
  const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} done` +
    ` · uploaded ${p.uploaded}/${p.total} · ${p.duplicates} duplicate${p.duplicates === 1 ? '' : 's'} · ${p.failed} failed`
  );
}
