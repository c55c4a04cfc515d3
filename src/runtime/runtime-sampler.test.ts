import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeSampler, sharedProbes } from './runtime-sampler.js';

const samplers: RuntimeSampler[] = [];
afterEach(() => {
  for (const s of samplers.splice(0)) s.stop();
});

function sampler(intervalMs = 1_000): RuntimeSampler {
  const s = new RuntimeSampler({ intervalMs });
  samplers.push(s);
  return s;
}

describe('RuntimeSampler', () => {
  it('reads memory, event loop, CPU, handles and its own cost', async () => {
    const s = sampler(100);
    expect(s.sample()).toBeUndefined(); // not started
    s.start();
    await new Promise((r) => setTimeout(r, 350));
    const v = s.sample()!;
    expect(v.memory.heapUsedBytes).toBeGreaterThan(0);
    expect(v.memory.heapLimitBytes).toBeGreaterThan(v.memory.heapUsedBytes);
    expect(v.eventLoopDelay.maxMs).toBeGreaterThanOrEqual(0);
    expect(v.eventLoopUtilization).toBeGreaterThanOrEqual(0);
    expect(v.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(v.lastSampleMs).toBeGreaterThan(0);
    expect(v.samplingCpuPercent).toBeGreaterThan(0);
    expect(s.history().length).toBeGreaterThan(1);
  });

  it('counts GC pauses by kind with the heap after each major one, and reads the disk', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s = new RuntimeSampler({ intervalMs: 60_000, diskPath: tmpdir() }); // only manual readings
    samplers.push(s);
    s.start();
    gc();
    gc();
    await new Promise((r) => setTimeout(r, 150)); // GC entries arrive asynchronously
    const v = s.sample()!;
    expect(v.gc.major.count).toBeGreaterThanOrEqual(1);
    expect(v.gc.major.pauseMs).toBeGreaterThan(0);
    expect(v.memory.heapAfterGcBytes.length).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 50)); // statfs answers after the first reading
    expect(s.sample()?.disk).toMatchObject({ path: tmpdir() });
    expect(s.latest()?.disk?.freeBytes).toBeGreaterThan(0);
    expect(s.latest()?.gc.major.count).toBe(0); // the next interval starts from zero
  });

  it('shares one lag probe and one GC observer between samplers, stopped with the last', () => {
    const before = sharedProbes().subscribers;
    const a = sampler();
    const b = sampler();
    a.start();
    b.start();
    expect(sharedProbes()).toEqual({ subscribers: before + 2, running: true });
    a.stop();
    expect(sharedProbes()).toEqual({ subscribers: before + 1, running: true });
    b.stop();
    expect(sharedProbes().subscribers).toBe(before);
    if (before === 0) expect(sharedProbes().running).toBe(false);
  });

  it('rejects an interval shorter than the lag probe (100 ms) naming the option', () => {
    expect(() => new RuntimeSampler({ intervalMs: 99 })).toThrow(/runtime.intervalMs/);
  });

  it('measures its cost afresh after a restart', async () => {
    const s = sampler(100);
    s.start();
    await new Promise((r) => setTimeout(r, 150));
    s.sample();
    s.stop();
    await new Promise((r) => setTimeout(r, 300));
    s.start();
    await new Promise((r) => setTimeout(r, 150)); // one interval, as the timer would
    const v = s.sample()!;
    expect(v.samplingCpuPercent).toBeLessThan(50);
    expect(v.gc.major.count + v.gc.minor.count).toBeGreaterThanOrEqual(0);
  });
});
