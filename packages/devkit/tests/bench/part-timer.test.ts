import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childrenCpuSeconds, PartTimer } from '../../bench/part-timer.js';
import { formatTable, verdicts } from '../../bench/report.js';

/** A clock that moves only when told: each part's figures are then exact. */
function fakeClocks() {
  const state = { ms: 0, cpuUs: 0, childrenS: 0 };
  return {
    state,
    now: () => state.ms,
    cpu: () => ({ user: state.cpuUs, system: 0 }),
    childrenCpu: () => state.childrenS,
  };
}

describe('PartTimer', () => {
  it('records wall, own CPU and children CPU seconds of each part, in the order they ran', async () => {
    const clocks = fakeClocks();
    const seen: string[] = [];
    const timer = new PartTimer({ ...clocks, onPart: (name, t) => seen.push(`${name}=${t.wall_s}`) });
    const value = await timer.time('p5', async () => {
      clocks.state.ms += 61_200;
      clocks.state.cpuUs += 14_100_000;
      clocks.state.childrenS += 70.3;
      return 'built';
    });
    expect(value).toBe('built');
    await timer.time('p3', async () => {
      clocks.state.ms += 2_000;
      clocks.state.cpuUs += 1_500_000;
    });
    expect(timer.timings).toEqual({
      p5: { wall_s: 61.2, cpu_s: 14.1, children_cpu_s: 70.3 },
      p3: { wall_s: 2, cpu_s: 1.5, children_cpu_s: 0 },
    });
    expect(Object.keys(timer.timings)).toEqual(['p5', 'p3']);
    expect(seen).toEqual(['p5=61.2', 'p3=2']);
    expect(timer.summary()).toBe(
      'part timings (wall s, cpu s): p5 61.2 (cpu 14.1 + children 70.3), p3 2 (cpu 1.5 + children 0)',
    );
  });

  it('records a part that throws, and passes the error on', async () => {
    const clocks = fakeClocks();
    const timer = new PartTimer(clocks);
    await expect(
      timer.time('p8', async () => {
        clocks.state.ms += 500;
        throw new Error('serve exited');
      }),
    ).rejects.toThrow('serve exited');
    expect(timer.timings.p8).toEqual({ wall_s: 0.5, cpu_s: 0, children_cpu_s: 0 });
  });

  it('leaves children CPU out where /proc cannot be read', async () => {
    const timer = new PartTimer({ ...fakeClocks(), childrenCpu: () => null });
    await timer.time('pdf', async () => undefined);
    expect(timer.timings.pdf!.children_cpu_s).toBeNull();
    expect(timer.summary()).toBe('part timings (wall s, cpu s): pdf 0 (cpu 0)');
  });
});

describe('childrenCpuSeconds', () => {
  it('reads cutime + cstime (fields 16, 17) in ticks of 1/100 s, past a command name with spaces', () => {
    // Fields 3..17 of proc(5): state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt,
    // majflt, cmajflt, utime, stime, cutime, cstime, then more.
    const stat = '4242 (node (bench) x) S 1 2 3 0 -1 4194304 10 20 0 0 500 60 1234 66 20 0 11 0';
    expect(childrenCpuSeconds(() => stat)).toBeCloseTo(13);
    expect(
      childrenCpuSeconds(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
    expect(childrenCpuSeconds(() => '1 (x) S 1')).toBeNull();
  });

  // The real /proc: a child that spends 300 ms of CPU is counted once it has been waited for.
  it.runIf(process.platform === 'linux')('counts a child process once it has ended', { timeout: 120_000 }, () => {
    const before = childrenCpuSeconds()!;
    const child = spawnSync(process.execPath, [
      '-e',
      'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 300000) {}',
    ]);
    expect(child.status).toBe(0);
    expect(childrenCpuSeconds()! - before).toBeGreaterThanOrEqual(0.25);
  });
});

describe('part timings in the report', () => {
  it('prints a row per part after the figures', () => {
    const out: Record<string, unknown> = {
      mode: 'quick',
      machine: { cpus: 2 },
      p5_bytes: {},
      p5_init_ms: {},
      part_timings: { p5: { wall_s: 61.2, cpu_s: 14.1, children_cpu_s: 70.3 } },
    };
    out.goals = verdicts(out);
    expect(formatTable(out)).toContain('part_timings.p5');
    expect(formatTable(out)).toMatch(/part_timings\.p5\s+\{"wall_s":61\.2,"cpu_s":14\.1,"children_cpu_s":70\.3\}/);
  });
});
