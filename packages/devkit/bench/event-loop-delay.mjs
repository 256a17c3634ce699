// Preloaded into P8's `receipts serve` child (`node --import`): measures how late its event loop
// runs timers (perf_hooks.monitorEventLoopDelay), i.e. the synchronous stretches that hold up an
// HTTP request. The bench sends SIGUSR2 when its clock starts (the histogram restarts, so start-up
// and warm-up are left out) and again when it stops (the figures are written to
// RECEIPTFLOW_BENCH_ELD_FILE, before the shutdown's checkpoint). Plain .mjs: node loads it
// without a TypeScript loader.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.RECEIPTFLOW_BENCH_ELD_FILE;
if (file) {
  // 10 ms resolution: finer than the stretches that matter (tens of ms), cheap to sample.
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let signals = 0;
  process.on('SIGUSR2', () => {
    if (++signals === 1) return histogram.reset();
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    writeFileSync(
      file,
      JSON.stringify({
        p50_ms: ms(histogram.percentile(50)),
        p99_ms: ms(histogram.percentile(99)),
        max_ms: ms(histogram.max),
        samples: histogram.count,
      }),
    );
  });
}
