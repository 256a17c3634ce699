import { readFileSync } from 'node:fs';
import { round } from './stats.js';

/** One part of a bench run: how long it took and how much CPU it used. */
export interface PartTiming {
  /** Wall seconds: what a person waits. On a shared machine it includes other processes' turns. */
  wall_s: number;
  /** This process's CPU seconds (user + system, every thread: tesseract workers included). */
  cpu_s: number;
  /**
   * CPU seconds of child processes that ended during the part (bundle builds, cold-start probes,
   * `receipts serve`, export children), from Linux's /proc/self/stat; null where that is not there.
   */
  children_cpu_s: number | null;
}

/** Linux's USER_HZ: /proc times are in these ticks (100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds of this process's waited-for children (cutime + cstime of /proc/self/stat), or
 * null off Linux. A child still running is not counted until it ends.
 */
export function childrenCpuSeconds(stat: () => string = () => readFileSync('/proc/self/stat', 'utf8')): number | null {
  let text: string;
  try {
    text = stat();
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5); fields[0] is field 3 (state).
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return null;
  return (cutime + cstime) / TICKS_PER_SECOND;
}

/**
 * Times the parts of a bench run in turn, so a run can say where its minutes went (`--quick`
 * has to finish in 5 minutes on 2 cores: docs/benchmarks.md says how the plan is cut to fit).
 *
 * @example
 * const timer = new PartTimer({ onPart: (name, t) => console.error(name, t.wall_s) });
 * const p5 = await timer.time('p5', () => measureP5(handlersDir, plan));
 * process.stderr.write(`${timer.summary()}\n`); // part timings (wall s, cpu s): p5 61.2 (cpu 14.1 + children 70.3), ...
 */
export class PartTimer {
  readonly #timings: Record<string, PartTiming> = {};

  private readonly now: () => number;
  private readonly cpu: () => NodeJS.CpuUsage;
  private readonly childrenCpu: () => number | null;
  private readonly onPart: ((name: string, timing: PartTiming) => void) | undefined;

  /**
   * @param options.onPart called as each part ends (the bench prints it as progress, so a run
   *   that fails part-way still says where its time went); the clocks are for tests.
   */
  constructor(
    options: {
      onPart?: (name: string, timing: PartTiming) => void;
      now?: () => number;
      cpu?: () => NodeJS.CpuUsage;
      childrenCpu?: () => number | null;
    } = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.cpu = options.cpu ?? (() => process.cpuUsage());
    this.childrenCpu = options.childrenCpu ?? (() => childrenCpuSeconds());
    this.onPart = options.onPart;
  }

  /** Runs `fn` as the part `name`, recording its timing even when it throws. */
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const wall = this.now();
    const cpu = this.cpu();
    const children = this.childrenCpu();
    try {
      return await fn();
    } finally {
      const used = this.cpu();
      const childrenAfter = this.childrenCpu();
      this.#timings[name] = {
        wall_s: round((this.now() - wall) / 1000, 1),
        cpu_s: round((used.user - cpu.user + used.system - cpu.system) / 1e6, 1),
        children_cpu_s: children === null || childrenAfter === null ? null : round(childrenAfter - children, 1),
      };
      this.onPart?.(name, this.#timings[name]);
    }
  }

  /** Every part timed so far, in the order they ran. */
  get timings(): Record<string, PartTiming> {
    return { ...this.#timings };
  }

  /** One line for stderr: each part's wall seconds, then its CPU seconds (own + children). */
  summary(): string {
    const parts = Object.entries(this.#timings).map(([name, t]) => `${name} ${describeTiming(t)}`);
    return `part timings (wall s, cpu s): ${parts.join(', ')}`;
  }
}

/** `61.2 (cpu 14.1 + children 70.3)`: wall seconds, then CPU seconds of this process and its children. */
export function describeTiming(t: PartTiming): string {
  return `${t.wall_s} (cpu ${t.cpu_s}${t.children_cpu_s === null ? '' : ` + children ${t.children_cpu_s}`})`;
}
