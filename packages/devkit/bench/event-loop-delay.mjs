// Preloaded into P8's `receipts serve` child (`node --import`): measures how late its event loop
// runs timers (perf_hooks.monitorEventLoopDelay), i.e. the synchronous stretches that hold up an
// HTTP request. The bench sends SIGUSR2 when its clock starts (the histogram restarts, so start-up
// and warm-up are left out) and again when it stops (the figures are written to
// RECEIPTFLOW_BENCH_ELD_FILE, before the shutdown's checkpoint). Plain .mjs: node loads it
// without a TypeScript loader.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const file = process.env.RECEIPTFLOW_BENCH_ELD_FILE;
// RECEIPTFLOW_BENCH_MAIN_PROF=FILE: a V8 CPU profile of the main thread between the two signals
// only (the measured receipts, without start-up, warm-up and the work after the clock stops).
const profFile = process.env.RECEIPTFLOW_BENCH_MAIN_PROF;
if (file) {
  // 10 ms resolution: finer than the stretches that matter (tens of ms), cheap to sample.
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let signals = 0;
  // Also the process's CPU (every thread: the main one and tesseract's workers) and how long the
  // main thread's event loop was busy (not waiting for I/O or timers) between the signals: the
  // main thread's work per receipt beside OCR (issue 18, P8).
  let cpu0;
  let elu0;
  const session = profFile ? new Session() : undefined;
  process.on('SIGUSR2', () => {
    if (++signals === 1) {
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
      if (session) {
        session.connect();
        session.post('Profiler.enable', () => session.post('Profiler.start'));
      }
      return histogram.reset();
    }
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    writeFileSync(
      file,
      JSON.stringify({
        p50_ms: ms(histogram.percentile(50)),
        p99_ms: ms(histogram.percentile(99)),
        max_ms: ms(histogram.max),
        samples: histogram.count,
        cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
        main_busy_ms: Math.round(elu.active),
      }),
    );
    session?.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(profFile, JSON.stringify(result.profile));
      session.disconnect();
    });
  });
}
