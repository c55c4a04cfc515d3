import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore } from './backup-store.js';
import { acquireDirLock, LOCK_FILE } from './dir-lock.js';
import { serializeJson } from './serialize.js';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-lock-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const lockPath = () => join(dir, LOCK_FILE);

describe('backup directory lock', () => {
  it('is exclusive while held, 0600, and gone after release', async () => {
    const release = await acquireDirLock(dir, fs);
    expect((await fs.stat(lockPath())).mode & 0o777).toBe(0o600);
    await expect(acquireDirLock(dir, fs, { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'ELOCKED',
    });
    await release();
    await expect(fs.stat(lockPath())).rejects.toMatchObject({ code: 'ENOENT' });
    await (await acquireDirLock(dir, fs))();
  });

  it('takes over a lock whose owner process is dead', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await fs.writeFile(
      lockPath(),
      JSON.stringify({ pid: dead, host: hostname(), at: Date.now(), token: 'x' }),
    );
    const release = await acquireDirLock(dir, fs, { timeoutMs: 1000 });
    const owner = JSON.parse(await fs.readFile(lockPath(), 'utf8'));
    expect(owner.pid).toBe(process.pid);
    await release();
  });

  it('waits for a live owner on another host until the lock is stale', async () => {
    await fs.writeFile(
      lockPath(),
      JSON.stringify({ pid: 1, host: 'elsewhere', at: Date.now(), token: 'x' }),
    );
    await expect(acquireDirLock(dir, fs, { timeoutMs: 30 })).rejects.toThrow(
      /locked by process 1 on elsewhere/,
    );
    await fs.writeFile(
      lockPath(),
      JSON.stringify({ pid: 1, host: 'elsewhere', at: Date.now() - 700_000, token: 'x' }),
    );
    await (await acquireDirLock(dir, fs, { timeoutMs: 30 }))();
  });

  it('lets two stores on one directory write without clashing sequences', async () => {
    const a = new BackupStore({ dir });
    const b = new BackupStore({ dir });
    const when = new Date();
    const infos = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).write(serializeJson({ i }), { reason: 'race', createdAt: when }),
      ),
    );
    expect(new Set(infos.map((x) => x.sequence)).size).toBe(6);
    expect((await a.verify('full')).valid).toHaveLength(6);
  });

  it('removes temp files left by a writer that died', async () => {
    await fs.writeFile(join(dir, '.keel-backup-20260101T000000000Z-000001.999.abcd.tmp'), 'half');
    await new BackupStore({ dir }).write(serializeJson({ ok: true }), {
      reason: 'x',
      createdAt: new Date(),
    });
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
