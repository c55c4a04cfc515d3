import { afterEach, describe, expect, it, vi } from 'vitest';
import { PerformanceMonitor } from '../../monitor.js';
import type { HttpTimingTarget } from '../timing/index.js';
import { RequestRecorder } from './request-recorder.js';
import { STATUS_CLASSES, statusClassIndex } from './status-class.js';

const monitors: PerformanceMonitor[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(monitors.splice(0).map((m) => m.close()));
});

function monitor(): PerformanceMonitor {
  const clock = { t: 0, now: () => clock.t };
  const m = new PerformanceMonitor({ clock, runtime: { enabled: false } });
  monitors.push(m);
  return m;
}

/** A target that counts how often an operation handle is asked for. */
function countingTarget() {
  const asked: string[] = [];
  const ended: Array<[string, boolean]> = [];
  const target: HttpTimingTarget = {
    operation(name) {
      asked.push(name);
      return {
        begin: () => 0,
        finish: (_s, ok) => {
          ended.push([name, ok]);
          return 0;
        },
      };
    },
  };
  return { target, asked, ended };
}

describe('RequestRecorder', () => {
  it('asks for an operation handle once per method and template, then reuses it', () => {
    const { target, asked, ended } = countingTarget();
    const r = new RequestRecorder(target, {});
    for (let i = 0; i < 100; i++) r.record(0, 'GET', '/customers/:id', 200, false, false);
    r.record(0, 'POST', '/customers/:id', 201, false, false);
    r.record(0, 'GET', undefined, 404, false, false);
    r.record(0, 'GET', '', 404, false, false);
    expect(asked).toEqual(['GET /customers/:id', 'POST /customers/:id', 'GET <unmatched>']);
    expect(ended).toHaveLength(103);
  });

  it.each([
    [200, false, false, true],
    [404, false, false, true],
    [499, false, false, true],
    [500, false, false, false],
    [503, true, false, false],
    [200, true, false, true],
    [200, false, true, false],
  ])('status %i, aborted %s, threw %s: success %s', (status, aborted, threw, success) => {
    const { target, ended } = countingTarget();
    new RequestRecorder(target, {}).record(0, 'GET', '/x', status, aborted, threw);
    expect(ended).toEqual([['GET /x', success]]);
  });

  it.each([
    [100, '1xx'],
    [204, '2xx'],
    [302, '3xx'],
    [451, '4xx'],
    [599, '5xx'],
    [600, 'unknown'],
    [0, 'unknown'],
    [Number.NaN, 'unknown'],
  ])('status %d is in class %s', (status, cls) => {
    expect(STATUS_CLASSES[statusClassIndex(status)]).toBe(cls);
  });

  it('puts every template past maxRoutes into METHOD <overflow>', () => {
    const m = monitor();
    const r = new RequestRecorder(m, { maxRoutes: 2 });
    for (const path of ['/a', '/b', '/c', '/d']) r.record(0, 'GET', path, 200, false, false);
    r.record(0, 'PUT', '/e', 200, false, false);
    expect(m.operations.names()).toEqual(['GET /a', 'GET /b', 'GET <overflow>', 'PUT <overflow>']);
    expect(m.getOperationStats('GET <overflow>')?.count).toBe(2);
  });

  it('names non-standard methods OTHER, and RegExp and array templates by their text', () => {
    const m = monitor();
    const r = new RequestRecorder(m, {});
    r.record(0, 'PROPFIND', '/dav', 207, false, false);
    r.record(0, 'get', '/lower', 200, false, false);
    r.record(0, undefined, '/none', 200, false, false);
    r.record(0, 'GET', /^\/files\/.*$/, 200, false, false);
    r.record(0, 'GET', ['/a', '/b'], 200, false, false);
    expect(m.operations.names()).toEqual([
      'OTHER /dav',
      'GET /lower',
      'OTHER /none',
      'GET /^\\/files\\/.*$/',
      'GET /a,/b',
    ]);
  });

  it('cuts a template so the operation name and the route label fit in 200 characters', () => {
    const m = monitor();
    const r = new RequestRecorder(m, { onInternalError: (e: unknown) => expect.fail(String(e)) });
    r.record(0, 'DELETE', `/${'x'.repeat(300)}`, 200, false, false);
    const [name] = m.operations.names();
    expect(name).toHaveLength(200);
    expect(name!.startsWith('DELETE /xxx')).toBe(true);
  });

  it('counts status classes in keel_http_requests_total, or in the counter named, or not at all', () => {
    const m = monitor();
    const r = new RequestRecorder(m, {});
    r.record(0, 'GET', '/x', 200, false, false);
    r.record(0, 'GET', '/x', 200, true, false);
    expect(m.metrics.get('keel_http_requests_total')?.collect().series).toEqual([
      { labels: { method: 'GET', route: '/x', status_class: '2xx' }, value: 1 },
      { labels: { method: 'GET', route: '/x', status_class: 'aborted' }, value: 1 },
    ]);
    new RequestRecorder(m, { requestCounter: 'api_requests_total' });
    expect(m.metrics.get('api_requests_total')?.type).toBe('counter');
    const before = m.metrics.size;
    new RequestRecorder(m, { requestCounter: false }).record(0, 'GET', '/y', 200, false, false);
    expect(m.metrics.size).toBe(before);
    // A target without custom metrics keeps no counter.
    const { target, ended } = countingTarget();
    new RequestRecorder(target, {}).record(0, 'GET', '/z', 200, false, false);
    expect(ended).toHaveLength(1);
  });

  it('rejects invalid options naming the field', () => {
    const m = monitor();
    expect(() => new RequestRecorder(m, { requestCounter: 'not a name' })).toThrow(
      /^requestCounter: metric name/,
    );
    expect(() => new RequestRecorder(m, { requestCounter: 3 as never })).toThrow(/requestCounter/);
    expect(() => new RequestRecorder(m, { maxRoutes: 1.5 })).toThrow(RangeError);
    expect(() => new RequestRecorder(m, { onInternalError: 'log' as never })).toThrow(
      /onInternalError/,
    );
    expect(() => new RequestRecorder(m, 'fast' as never)).toThrow(/options must be an object/);
  });

  it('turns its own failures into one process warning when nobody listens', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const r = new RequestRecorder(
      {
        operation() {
          throw new Error('no operations today');
        },
      },
      {},
    );
    r.record(0, 'GET', '/x', 200, false, false);
    r.record(0, 'GET', '/x', 200, false, false);
    expect(r.internalErrors).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/no operations today/);
  });
});
