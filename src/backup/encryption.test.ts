import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBackupCorruptError } from '../core/index.js';
import { BackupKeyError } from './backup-format.js';
import { BackupStore } from './backup-store.js';
import { serializeJson } from './serialize.js';

let dir: string;
const key = randomBytes(32);
const secret = { card: '4111-1111-1111-1111', customers: ['Ada Lovelace'] };

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-crypt-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write() {
  return new BackupStore({ dir, encryptionKey: key }).write(serializeJson(secret), {
    reason: 'manual',
    createdAt: new Date(),
  });
}

/** The rejection of `p`, or undefined when it resolves (every use then fails its assertion). */
const caught = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('encryption at rest (AES-256-GCM)', () => {
  it('round-trips with the key and stores no plaintext', async () => {
    const info = await write();
    const file = await fs.readFile(join(dir, `${info.id}.json.gz`));
    const plain = gunzipSync(file).toString('latin1');
    expect(plain).toContain('"encryption":{"algorithm":"aes-256-gcm"');
    expect(plain).not.toContain('4111-1111');
    expect(plain).not.toContain('Lovelace');
    expect((await new BackupStore({ dir, encryptionKey: key }).restoreLatest()).data).toEqual(
      secret,
    );
  });

  it('refuses without the key or with another, and never moves the file aside', async () => {
    const info = await write();
    expect(await caught(new BackupStore({ dir }).read(info.id))).toBeInstanceOf(BackupKeyError);
    const wrong = new BackupStore({ dir, encryptionKey: randomBytes(32) });
    expect(await caught(wrong.restoreLatest())).toBeInstanceOf(BackupKeyError);
    expect(await fs.readdir(dir)).toContain(`${info.id}.json.gz`);
  });

  it('verifies integrity without the key, and detects damage to the ciphertext', async () => {
    const info = await write();
    expect((await new BackupStore({ dir }).verify('full')).valid.map((b) => b.id)).toEqual([
      info.id,
    ]);
    const path = join(dir, `${info.id}.json.gz`);
    const plain = gunzipSync(await fs.readFile(path));
    plain[plain.length - 3]! ^= 0x01;
    const { gzipSync } = await import('node:zlib');
    await fs.writeFile(path, gzipSync(plain));
    expect(
      isBackupCorruptError(
        await caught(new BackupStore({ dir, encryptionKey: key }).read(info.id)),
      ),
    ).toBe(true);
  });

  it.each([[Buffer.alloc(16)], ['a string of 32 characters long!!']])(
    'rejects a key that is not 32 bytes: %o',
    (bad) => {
      expect(() => new BackupStore({ dir, encryptionKey: bad as Buffer })).toThrow(/32 bytes/);
    },
  );
});
