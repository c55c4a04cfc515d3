import { describe, expect, it } from 'vitest';
import { type SessionEndedEvent, SessionTracker, type SessionTrackerOptions } from './index.js';

const MINUTE = 60_000;

function setup(options: Omit<SessionTrackerOptions, 'clock'> = {}) {
  const clock = { t: 0, now: () => clock.t };
  const sessions = new SessionTracker({ ...options, clock });
  const ended: SessionEndedEvent[] = [];
  sessions.onSessionEnded((e) => ended.push(e));
  return { clock, sessions, ended };
}

describe('SessionTracker: seed session management (10.4)', () => {
  it('registers and unregisters sessions', () => {
    const { sessions } = setup();
    expect(sessions.register('user_session_123')).toBe(true);
    expect(sessions.register('user_session_456')).toBe(true);
    expect(sessions.activeCount).toBe(2);
    expect(sessions.unregister('user_session_123')).toBe(true);
    expect(sessions.has('user_session_123')).toBe(false);
    expect(sessions.unregister('user_session_123')).toBe(false);
    expect(sessions.activeCount).toBe(1);
  });

  it('touches an id registered twice and counts it once', () => {
    const { clock, sessions } = setup();
    sessions.register('s1');
    clock.t = 5_000;
    expect(sessions.register('s1')).toBe(false);
    expect(sessions.get('s1')).toMatchObject({ startedAt: 0, lastSeenAt: 5_000 });
    expect(sessions.stats()).toMatchObject({ active: 1, registered: 1, peak: 1 });
  });
});

describe('SessionTracker: reads', () => {
  it('reports age and idle time without touching', () => {
    const { clock, sessions } = setup();
    clock.t = 1_000;
    sessions.register('s1', { user: 'ada', admin: false, tenant: 7 });
    clock.t = 4_000;
    sessions.touch('s1');
    clock.t = 10_000;
    expect(sessions.get('s1')).toEqual({
      id: 's1',
      startedAt: 1_000,
      lastSeenAt: 4_000,
      ageMs: 9_000,
      idleMs: 6_000,
      attributes: { user: 'ada', admin: false, tenant: 7 },
    });
    expect(sessions.has('s1')).toBe(true);
    expect(sessions.get('s1')?.lastSeenAt).toBe(4_000);
    expect(sessions.get('nope')).toBeUndefined();
    expect(sessions.touch('nope')).toBe(false);
  });

  it('copies attributes and replaces them on a new register', () => {
    const { sessions } = setup();
    const attributes = { user: 'ada' };
    sessions.register('s1', attributes);
    attributes.user = 'mallory';
    expect(sessions.get('s1')?.attributes).toEqual({ user: 'ada' });
    expect(Object.isFrozen(sessions.get('s1')?.attributes)).toBe(true);
    sessions.register('s1');
    expect(sessions.get('s1')?.attributes).toEqual({ user: 'ada' });
    sessions.register('s1', { role: 'clerk' });
    expect(sessions.get('s1')?.attributes).toEqual({ role: 'clerk' });
  });
});

describe('SessionTracker: idle expiry', () => {
  it('keeps a session idle for exactly the timeout and expires it 1 ms later', () => {
    const { clock, sessions, ended } = setup({ idleTimeoutMinutes: 30 });
    sessions.register('s1');
    clock.t = 30 * MINUTE;
    expect(sessions.has('s1')).toBe(true);
    clock.t = 30 * MINUTE + 1;
    expect(sessions.has('s1')).toBe(false);
    expect(sessions.stats()).toMatchObject({ active: 0, ended: 1, expired: 1, evicted: 0 });
    expect(ended).toEqual([
      { id: 's1', reason: 'expired', startedAt: 0, lastSeenAt: 0, durationMs: 0, attributes: {} },
    ]);
  });

  it('keeps a touched session alive and times its duration to the last touch', () => {
    const { clock, sessions } = setup({ idleTimeoutMinutes: 30 });
    sessions.register('s1');
    clock.t = 20 * MINUTE;
    expect(sessions.touch('s1')).toBe(true);
    clock.t = 45 * MINUTE;
    expect(sessions.activeCount).toBe(1);
    clock.t = 50 * MINUTE + 1;
    expect(sessions.activeCount).toBe(0);
    expect(sessions.stats()).toMatchObject({
      meanDurationMs: 20 * MINUTE,
      maxDurationMs: 20 * MINUTE,
    });
  });

  it('expires only the stale sessions, oldest first', () => {
    const { clock, sessions, ended } = setup({ idleTimeoutMinutes: 1 });
    sessions.register('a');
    clock.t = 10_000;
    sessions.register('b');
    clock.t = 20_000;
    sessions.register('c');
    sessions.touch('a');
    clock.t = 75_000;
    expect(sessions.expireIdle()).toBe(1);
    expect(ended.map((e) => e.id)).toEqual(['b']);
    expect(sessions.has('a')).toBe(true);
    expect(sessions.has('c')).toBe(true);
    expect(sessions.expireIdle()).toBe(0);
  });

  it('does not touch or unregister an expired session still in memory', () => {
    const { clock, sessions } = setup({ idleTimeoutMinutes: 1 });
    sessions.register('s1');
    clock.t = MINUTE + 1;
    expect(sessions.touch('s1')).toBe(false);
    expect(sessions.unregister('s1')).toBe(false);
    expect(sessions.stats()).toMatchObject({ ended: 1, expired: 1 });
  });

  it('starts a new session when an expired id registers again', () => {
    const { clock, sessions } = setup({ idleTimeoutMinutes: 1 });
    sessions.register('s1');
    clock.t = 2 * MINUTE;
    expect(sessions.register('s1')).toBe(true);
    expect(sessions.get('s1')?.startedAt).toBe(2 * MINUTE);
    expect(sessions.stats()).toMatchObject({ registered: 2, expired: 1, active: 1 });
  });

  it('never expires with an Infinity timeout', () => {
    const { clock, sessions } = setup({ idleTimeoutMinutes: Infinity });
    sessions.register('s1');
    clock.t = 1e12;
    expect(sessions.has('s1')).toBe(true);
    expect(sessions.stats().idleTimeoutMs).toBe(Infinity);
  });

  it('defaults to a 30 minute timeout', () => {
    expect(new SessionTracker().stats().idleTimeoutMs).toBe(30 * MINUTE);
  });
});

describe('SessionTracker: bounded memory', () => {
  it('evicts the least recently touched session at maxSessions', () => {
    const { clock, sessions, ended } = setup({ maxSessions: 3 });
    for (const id of ['a', 'b', 'c']) {
      clock.t += 1_000;
      sessions.register(id);
    }
    clock.t += 1_000;
    sessions.touch('a');
    clock.t += 1_000;
    expect(sessions.register('d')).toBe(true);
    expect(ended).toMatchObject([{ id: 'b', reason: 'evicted', durationMs: 0 }]);
    expect(['a', 'b', 'c', 'd'].map((id) => sessions.has(id))).toEqual([true, false, true, true]);
    expect(sessions.stats()).toMatchObject({ active: 3, peak: 3, registered: 4, evicted: 1 });
  });

  it('does not evict when an active id registers again at the bound', () => {
    const { sessions } = setup({ maxSessions: 2 });
    sessions.register('a');
    sessions.register('b');
    expect(sessions.register('a')).toBe(false);
    expect(sessions.stats()).toMatchObject({ active: 2, evicted: 0 });
  });
});

describe('SessionTracker: durations and events', () => {
  it('keeps exact count, mean and max of ended sessions', () => {
    const { clock, sessions } = setup();
    expect(sessions.stats()).toMatchObject({ ended: 0, meanDurationMs: 0, maxDurationMs: 0 });
    sessions.register('a');
    sessions.register('b');
    clock.t = 1_000;
    sessions.unregister('a');
    clock.t = 3_000;
    sessions.unregister('b');
    expect(sessions.stats()).toMatchObject({
      active: 0,
      peak: 2,
      registered: 2,
      ended: 2,
      meanDurationMs: 2_000,
      maxDurationMs: 3_000,
    });
  });

  it('reports why each session ended', () => {
    const { clock, sessions, ended } = setup({ idleTimeoutMinutes: 1, maxSessions: 1 });
    sessions.register('a', { user: 'ada' });
    sessions.unregister('a');
    sessions.register('b');
    sessions.register('c');
    clock.t = 2 * MINUTE;
    sessions.expireIdle();
    expect(ended.map((e) => [e.id, e.reason])).toEqual([
      ['a', 'unregistered'],
      ['b', 'evicted'],
      ['c', 'expired'],
    ]);
    expect(ended[0]?.attributes).toEqual({ user: 'ada' });
  });

  it('keeps tracking when a listener throws', () => {
    const { sessions, ended } = setup();
    sessions.onSessionEnded(() => {
      throw new Error('listener bug');
    });
    sessions.register('a');
    expect(sessions.unregister('a')).toBe(true);
    expect(ended).toHaveLength(1);
    expect(sessions.stats()).toMatchObject({ active: 0, ended: 1 });
  });
});

describe('SessionTracker: bad input', () => {
  it.each([
    ['empty', '', RangeError],
    ['300 characters', 'x'.repeat(300), RangeError],
    ['a number', 42, TypeError],
    ['null', null, TypeError],
  ])('rejects an id that is %s', (_label, id, type) => {
    const { sessions } = setup();
    expect(() => sessions.register(id as string)).toThrow(type);
    expect(() => sessions.register(id as string)).toThrow(/^id must be/);
    expect(sessions.stats()).toMatchObject({ active: 0, registered: 0 });
  });

  it('accepts an id of 256 characters', () => {
    expect(setup().sessions.register('x'.repeat(256))).toBe(true);
  });

  it.each([
    ['an array', [], /^attributes must be an object/],
    ['a nested object', { user: { name: 'ada' } }, /^attributes\.user must be/],
    ['a long string', { note: 'x'.repeat(1_025) }, /^attributes\.note must be/],
    [
      'too many entries',
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
      /32/,
    ],
  ])('rejects attributes that are %s', (_label, attributes, message) => {
    const { sessions } = setup();
    expect(() => sessions.register('s1', attributes as never)).toThrow(message);
    expect(sessions.has('s1')).toBe(false);
  });

  it.each([
    [{ idleTimeoutMinutes: 0 }, /^idleTimeoutMinutes must be a number greater than 0/],
    [{ idleTimeoutMinutes: -1 }, /^idleTimeoutMinutes/],
    [{ idleTimeoutMinutes: Number.NaN }, /^idleTimeoutMinutes/],
    [{ idleTimeoutMinutes: '30' }, /^idleTimeoutMinutes/],
    [{ maxSessions: 0 }, /^maxSessions must be a positive integer/],
    [{ maxSessions: 1.5 }, /^maxSessions/],
    [{ maxSessions: Infinity }, /^maxSessions/],
    [{ clock: {} }, /^clock must be/],
  ])('rejects options %o', (options, message) => {
    expect(() => new SessionTracker(options as SessionTrackerOptions)).toThrow(message);
  });
});

describe('SessionTracker.changes', () => {
  it('grows on register, touch and unregister, not on idle expiry or misses', () => {
    const { clock, sessions } = setup({ idleTimeoutMinutes: 1 });
    sessions.register('a');
    sessions.touch('a');
    sessions.unregister('a');
    expect(sessions.changes).toBe(3);
    sessions.touch('missing');
    sessions.unregister('missing');
    sessions.register('b');
    clock.t += 2 * MINUTE;
    expect(sessions.activeCount).toBe(0); // b expired
    expect(sessions.changes).toBe(4);
  });
});
