import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackupCorruptError } from '../core/index.js';
import { decodeBackup, encodeBackup, parsePayload, verifyBackupBytes } from './backup-format.js';

const meta = { createdAt: new Date('2026-11-27T10:00:00.000Z'), sequence: 7, reason: 'manual' };

async function encode(value: unknown) {
  return encodeBackup([Buffer.from(JSON.stringify(value))], meta);
}

async function reasonOf(bytes: Buffer): Promise<string> {
  try {
    await decodeBackup(bytes);
    return 'valid';
  } catch (error) {
    expect(error).toBeInstanceOf(BackupCorruptError);
    return (error as BackupCorruptError).reason;
  }
}

describe('backup format', () => {
  it('round-trips any JSON value with its header (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const { bytes, header } = await encode(value);
        const decoded = await decodeBackup(bytes);
        expect(decoded.header).toEqual(header);
        expect(parsePayload(decoded.payload)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });

  it('writes the header fields', async () => {
    const { header } = await encode({ a: 1 });
    expect(header).toMatchObject({
      format: 'keel-backup',
      version: 1,
      createdAt: '2026-11-27T10:00:00.000Z',
      sequence: 7,
      reason: 'manual',
      payloadBytes: 7,
    });
    expect(header.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('detects every single-bit flip, gzip member headers included (exhaustive)', async () => {
    const value = { customers: [{ id: 1, name: 'Ada' }], total: 12_345 };
    const { bytes } = await encode(value);
    const missed: number[] = [];
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const copy = Buffer.from(bytes);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      const streamed = await verifyBackupBytes(copy).then(
        () => 'valid',
        () => 'corrupt',
      );
      if ((await reasonOf(copy)) === 'valid' || streamed === 'valid') missed.push(bit);
    }
    expect(missed).toEqual([]);
  });

  it('detects truncation at any length (property)', async () => {
    const { bytes } = await encode({ data: 'x'.repeat(500) });
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), async (length) => {
        expect(await reasonOf(bytes.subarray(0, length))).not.toBe('valid');
      }),
    );
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'empty'],
    ['a NUL-filled file', Buffer.alloc(4096), 'not-gzip'],
    ['plain JSON', Buffer.from('{"a":1}'), 'not-gzip'],
    ['gzip without a header line', gzipSync('{"a":1}'), 'bad-header'],
    ['a foreign header', gzipSync('{"format":"other"}\n{}'), 'wrong-format'],
    ['a future version', gzipSync('{"format":"keel-backup","version":2}\n{}'), 'wrong-format'],
  ])('reports %s as corrupt (%s)', async (_, bytes, reason) => {
    expect(await reasonOf(bytes)).toBe(reason);
  });

  it('a payload swapped under another header fails its checksum', async () => {
    const a = await encode({ v: 'aaaa' });
    const b = await encode({ v: 'bbbb' });
    const headerA = JSON.stringify(a.header);
    const swapped = gzipSync(`${headerA}\n${JSON.stringify({ v: 'bbbb' })}`);
    expect(b.header.payloadBytes).toBe(a.header.payloadBytes);
    expect(await reasonOf(swapped)).toBe('checksum-mismatch');
  });

  it('restored __proto__ keys pollute nothing', async () => {
    const { bytes } = await encodeBackup(
      [Buffer.from('{"__proto__":{"polluted":true},"a":1}')],
      meta,
    );
    const data = parsePayload((await decodeBackup(bytes)).payload) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__', 'a']);
  });
});
