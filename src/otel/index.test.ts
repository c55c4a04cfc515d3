import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as otel from './index.js';

describe('keel/otel', () => {
  it('exposes the OTLP exporter, the encoder, the MeterProvider feed and the sources helper', () => {
    expect(typeof otel.OtlpExporter).toBe('function');
    expect(typeof otel.encodeOtlpMetrics).toBe('function');
    expect(typeof otel.feedMeterProvider).toBe('function');
    expect(typeof otel.exportSourcesOf).toBe('function');
    expect(otel.KEEL_INTERNAL_HEADER).toBe('x-keel-internal');
    expect(otel.OPERATION_METRICS.duration).toEqual({ name: 'keel.operation_duration', unit: 's' });
  });

  it('never loads @opentelemetry/* at run time: Keel’s code imports it as types only', async () => {
    const src = new URL('..', import.meta.url);
    const files = (await readdir(src, { recursive: true })).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(new URL(file, src), 'utf8');
      for (const line of text.split('\n')) {
        if (/from ['"]@opentelemetry\//.test(line) && !/^\s*(import|export) type /.test(line)) {
          offenders.push(`${file}: ${line.trim()}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
