import { describe, expect, it } from 'vitest';
import { isBreakerOpenError } from '../core/index.js';
import { type BreakerTransition, CircuitBreaker } from './breaker.js';

function setup(options: ConstructorParameters<typeof CircuitBreaker>[1] = {}) {
  const clock = { t: 1_000_000 };
  const transitions: string[] = [];
  const breaker = new CircuitBreaker('pay', options, {
    now: () => clock.t,
    onChange: (t: BreakerTransition) => transitions.push(`${t.from}->${t.to}`),
  });
  return { clock, breaker, transitions };
}

const fail = (b: CircuitBreaker) => b.failure(b.admit());
const succeed = (b: CircuitBreaker) => b.success(b.admit());

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures; a success in between resets the count', () => {
    const { breaker } = setup({ consecutive: 3 });
    fail(breaker);
    fail(breaker);
    succeed(breaker);
    fail(breaker);
    fail(breaker);
    expect(breaker.state).toBe('closed');
    fail(breaker);
    expect(breaker.state).toBe('open');
    expect(() => breaker.admit()).toThrow(/is open/);
    expect(breaker.counts).toEqual({ opened: 1, rejected: 1 });
  });

  it('half-opens after its delay, closes after its trial calls all succeed', () => {
    const { clock, breaker, transitions } = setup({
      consecutive: 1,
      halfOpenAfterMs: 5_000,
      halfOpenCalls: 2,
    });
    fail(breaker);
    clock.t += 4_999;
    expect(breaker.state).toBe('open');
    clock.t += 1;
    expect(breaker.state).toBe('half-open');
    const a = breaker.admit();
    const b = breaker.admit();
    expect([a, b]).toEqual([1, 1]); // trials of the first half-open period
    // Concurrent calls past the trials are turned away while the trials run.
    let error: unknown;
    try {
      breaker.admit();
    } catch (e) {
      error = e;
    }
    expect(isBreakerOpenError(error)).toBe(true);
    expect((error as { state: string }).state).toBe('half-open');
    breaker.success(a);
    expect(breaker.state).toBe('half-open');
    breaker.success(b);
    expect(breaker.state).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('re-opens when a trial fails, and restarts its delay', () => {
    const { clock, breaker } = setup({ consecutive: 1, halfOpenAfterMs: 1_000 });
    fail(breaker);
    clock.t += 1_000;
    fail(breaker);
    expect(breaker.state).toBe('open');
    clock.t += 999;
    expect(breaker.state).toBe('open');
    clock.t += 1;
    expect(breaker.state).toBe('half-open');
  });

  it('a released trial (cancelled call) frees its slot without a verdict', () => {
    const { clock, breaker } = setup({ consecutive: 1, halfOpenAfterMs: 0 });
    fail(breaker);
    clock.t += 1;
    const trial = breaker.admit();
    breaker.release(trial);
    expect(breaker.state).toBe('half-open');
    succeed(breaker);
    expect(breaker.state).toBe('closed');
  });

  it('a late result of an earlier half-open period counts for nothing in the next', () => {
    const { clock, breaker } = setup({ consecutive: 1, halfOpenAfterMs: 100, halfOpenCalls: 2 });
    fail(breaker);
    clock.t += 100;
    const old = breaker.admit(); // a trial of period 1 that hangs
    breaker.failure(breaker.admit()); // the other trial fails: open again
    clock.t += 100;
    expect(breaker.state).toBe('half-open'); // period 2
    breaker.release(old);
    breaker.success(old);
    const a = breaker.admit();
    const b = breaker.admit();
    expect(() => breaker.admit()).toThrow(/half-open/); // still only 2 trials
    breaker.success(a);
    expect(breaker.state).toBe('half-open'); // the old success did not count
    breaker.success(b);
    expect(breaker.state).toBe('closed');
  });

  it('gives up on trials that hang: after another delay, a new half-open period lets calls try', () => {
    const { clock, breaker } = setup({ consecutive: 1, halfOpenAfterMs: 100 });
    fail(breaker);
    clock.t += 100;
    breaker.admit(); // hangs forever
    expect(() => breaker.admit()).toThrow(/half-open/);
    clock.t += 100;
    succeed(breaker);
    expect(breaker.state).toBe('closed');
  });

  it('isolate holds it open until reset; late results of earlier calls change nothing', () => {
    const { clock, breaker } = setup({ consecutive: 2, halfOpenAfterMs: 10 });
    const inFlight = breaker.admit();
    breaker.isolate();
    clock.t += 1_000_000;
    expect(breaker.state).toBe('isolated');
    expect(() => breaker.admit()).toThrow(/isolated by hand/);
    breaker.success(inFlight);
    expect(breaker.state).toBe('isolated');
    breaker.reset();
    expect(breaker.state).toBe('closed');
    succeed(breaker);
  });

  it('opens on a failure rate with the sampling rule', () => {
    const { breaker } = setup({ sampling: { threshold: 0.5, durationMs: 10_000, minimumRps: 1 } });
    for (let i = 0; i < 10; i++) succeed(breaker);
    for (let i = 0; i < 9; i++) fail(breaker);
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 3; i++) if (breaker.state === 'closed') fail(breaker);
    expect(breaker.state).toBe('open');
  });

  it('round-trips its state through toJSON and initialState (survives a restart)', () => {
    const { clock, breaker } = setup({ consecutive: 3, halfOpenAfterMs: 60_000 });
    fail(breaker);
    fail(breaker);
    const closed = JSON.parse(JSON.stringify(breaker.toJSON()));
    const again = new CircuitBreaker(
      'pay',
      { consecutive: 3, initialState: closed },
      { now: () => clock.t },
    );
    fail(again); // the third failure in a row, counting the two before the restart
    expect(again.state).toBe('open');
    const open = JSON.parse(JSON.stringify(again.toJSON()));
    expect(open).toMatchObject({ state: 'open', openedAt: clock.t });
    clock.t += 30_000;
    const restarted = new CircuitBreaker(
      'pay',
      { consecutive: 3, halfOpenAfterMs: 60_000, initialState: open },
      { now: () => clock.t },
    );
    expect(restarted.state).toBe('open');
    clock.t += 30_000;
    expect(restarted.state).toBe('half-open');
  });

  it.each([
    [{ consecutive: 0 }, /breaker.consecutive must be an integer >= 1/],
    [{ halfOpenCalls: 0 }, /breaker.halfOpenCalls/],
    [{ halfOpenAfterMs: -1 }, /breaker.halfOpenAfterMs/],
    [{ sampling: { threshold: 1, durationMs: 1000 } }, /breaker.sampling.threshold/],
    [{ initialState: { state: 'weird', openedAt: 0, breaker: 0 } }, /initialState.state/],
  ])('rejects %o naming the option', (options, message) => {
    expect(() => new CircuitBreaker('x', options as never)).toThrow(message);
  });
});
