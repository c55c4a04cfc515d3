import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBackupCorruptError, isBackupNotFoundError } from '../core/index.js';
import { type BackupFs, BackupStore, backupId, checkBackupId } from './backup-store.js';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-store-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const json = (value: unknown) => [Buffer.from(JSON.stringify(value))];
const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s));

/** The rejection of `p`, or undefined when it resolves (every use then fails its assertion). */
const caught = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('BackupStore', () => {
  it('writes 0600 files in a 0700 directory, named by UTC time and sequence', async () => {
    const store = new BackupStore({ dir: join(dir, 'backups') });
    const info = await store.write(json({ a: 1 }), { reason: 'manual', createdAt: at(1) });
    expect(info).toMatchObject({
      id: 'keel-backup-20261127T100001000Z-000001',
      sequence: 1,
      reason: 'manual',
      sizeBytes: 7,
      createdAt: '2026-11-27T10:00:01.000Z',
    });
    const path = join(dir, 'backups', `${info.id}.json.gz`);
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(join(dir, 'backups'))).mode & 0o777).toBe(0o700);
    expect(info.storedBytes).toBe((await fs.stat(path)).size);
    expect((await fs.readdir(join(dir, 'backups'))).sort()).toEqual([
      `${info.id}.json.gz`,
      'keel-manifest.json.gz',
    ]);
  });

  it('lists newest first and restores by id and latest', async () => {
    const store = new BackupStore({ dir });
    const first = await store.write(json({ v: 1 }), { reason: 'scheduled', createdAt: at(1) });
    const second = await store.write(json({ v: 2 }), { reason: 'scheduled', createdAt: at(2) });
    expect((await store.list()).map((b) => b.id)).toEqual([second.id, first.id]);
    expect((await store.read(first.id)).data).toEqual({ v: 1 });
    expect(await store.restoreLatest()).toMatchObject({ data: { v: 2 }, skippedCorrupt: [] });
  });

  it('continues the sequence of a directory written by an earlier process', async () => {
    await new BackupStore({ dir }).write(json(1), { reason: 'manual', createdAt: at(1) });
    const info = await new BackupStore({ dir }).write(json(2), {
      reason: 'manual',
      createdAt: at(2),
    });
    expect(info.sequence).toBe(2);
  });

  it('skips a corrupt newest backup, moves it aside and restores the one before', async () => {
    const store = new BackupStore({ dir });
    await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const bad = await store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    const path = join(dir, `${bad.id}.json.gz`);
    const bytes = await fs.readFile(path);
    await fs.writeFile(path, bytes.subarray(0, bytes.length - 9));
    const restored = await store.restoreLatest();
    expect(restored.data).toEqual({ v: 1 });
    expect(restored.skippedCorrupt).toEqual([
      expect.objectContaining({ id: bad.id, reason: 'truncated' }),
    ]);
    const aside = await fs.readdir(join(dir, 'corrupt'));
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(new RegExp(`^${bad.id}\\.\\d+-[0-9a-f]{6}\\.json\\.gz$`));
    // Moved aside: the id now names nothing.
    expect(isBackupNotFoundError(await caught(store.read(bad.id)))).toBe(true);
  });

  it('reports a read of a corrupt file as corrupt', async () => {
    const store = new BackupStore({ dir });
    const info = await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    await fs.writeFile(join(dir, `${info.id}.json.gz`), Buffer.alloc(100));
    expect(isBackupCorruptError(await caught(store.read(info.id)))).toBe(true);
    expect(isBackupNotFoundError(await caught(store.restoreLatest()))).toBe(true);
  });

  it.each([['../../etc/passwd'], ['keel-backup-20261127T100001000Z-000001/../x'], [''], [42]])(
    'rejects the id %j without touching the file system',
    async (id) => {
      const store = new BackupStore({ dir });
      expect(() => checkBackupId(id)).toThrow(RangeError);
      await expect(store.read(id as string)).rejects.toThrow(RangeError);
    },
  );

  it('says not found for an unknown well-formed id', async () => {
    const store = new BackupStore({ dir });
    const error = await caught(store.read(backupId(at(1), 99)));
    expect(isBackupNotFoundError(error)).toBe(true);
  });

  it.each(['open', 'writeFile', 'sync', 'rename'])(
    'keeps earlier backups intact and leaves no temp file when %s fails with ENOSPC',
    async (step) => {
      const store = new BackupStore({ dir, fs: faulty(step) });
      const good = await new BackupStore({ dir }).write(json({ v: 1 }), {
        reason: 'manual',
        createdAt: at(1),
      });
      const error = (await caught(
        store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) }),
      )) as NodeJS.ErrnoException;
      expect(error.code).toBe('ENOSPC');
      // No temp file and no lock file left behind.
      expect((await fs.readdir(dir)).filter((n) => n !== 'keel-manifest.json.gz')).toEqual([
        `${good.id}.json.gz`,
      ]);
      expect((await new BackupStore({ dir }).restoreLatest()).data).toEqual({ v: 1 });
    },
  );
});

/** The real file system, failing at one step with ENOSPC. */
function faulty(step: string): BackupFs {
  const enospc = () => Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  let armed = true;
  return {
    ...fs,
    open: (async (path: string, flags?: string, mode?: number) => {
      // Only the backup's temp file fails; the lock file is written normally.
      const temp = flags === 'wx' && path.endsWith('.tmp');
      if (step === 'open' && temp) throw enospc();
      const handle = await fs.open(path, flags, mode);
      if (!temp) return handle;
      return new Proxy(handle, {
        get(target, prop, receiver) {
          if (prop === step && armed) {
            armed = false;
            return async () => {
              throw enospc();
            };
          }
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    }) as BackupFs['open'],
    rename: (async (from: string, to: string) => {
      if (step === 'rename') throw enospc();
      return fs.rename(from, to);
    }) as BackupFs['rename'],
  };
}

describe('BackupStore manifest', () => {
  it('is written with each backup and rebuilt from the files when lost, corrupt or stale', async () => {
    const store = new BackupStore({ dir });
    const a = await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const b = await store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    const manifest = join(dir, 'keel-manifest.json.gz');
    expect((await fs.stat(manifest)).mode & 0o777).toBe(0o600);
    expect((await store.list()).map((x) => x.id)).toEqual([b.id, a.id]);
    await fs.writeFile(manifest, 'garbage');
    expect((await store.list()).map((x) => x.id)).toEqual([b.id, a.id]);
    await fs.rm(manifest);
    expect((await store.list()).map((x) => x.id)).toEqual([b.id, a.id]);
    await fs.rm(join(dir, `${a.id}.json.gz`)); // the manifest now names a file that is gone
    expect((await store.list()).map((x) => x.id)).toEqual([b.id]);
    const c = await store.write(json({ v: 3 }), { reason: 'manual', createdAt: at(3) });
    expect((await store.list()).map((x) => x.id)).toEqual([c.id, b.id]);
  });
});

describe('BackupStore corruption corpus at the file level', () => {
  it('reports swapped files as corrupt (name-mismatch) and restores neither under the wrong id', async () => {
    const store = new BackupStore({ dir });
    const a = await store.write(json({ v: 'a' }), { reason: 'manual', createdAt: at(1) });
    const b = await store.write(json({ v: 'b' }), { reason: 'manual', createdAt: at(2) });
    const pa = join(dir, `${a.id}.json.gz`);
    const pb = join(dir, `${b.id}.json.gz`);
    const [ba, bb] = [await fs.readFile(pa), await fs.readFile(pb)];
    await fs.writeFile(pa, bb);
    await fs.writeFile(pb, ba);
    const { valid, corrupt } = await new BackupStore({ dir }).verify('full');
    expect(valid).toEqual([]);
    expect(corrupt.map((c) => c.reason)).toEqual(['name-mismatch', 'name-mismatch']);
  });

  it('prune keeps the newest backup that verifies even when the policy would drop it', async () => {
    const store = new BackupStore({ dir });
    const good = await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const bad = await store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    const path = join(dir, `${bad.id}.json.gz`);
    const bytes = await fs.readFile(path);
    bytes[bytes.length - 12]! ^= 0xff; // payload damaged, header intact
    await fs.writeFile(path, bytes);
    const dry = await store.prune({ keepLast: 1 }, { dryRun: true });
    expect(dry.kept.map((k) => k.id)).toEqual([good.id]);
    expect(dry.removed).toEqual([]);
    expect(dry.corrupt).toMatchObject([{ id: bad.id }]);
    expect((await store.list()).map((b) => b.id)).toEqual([bad.id, good.id]); // a dry run moves nothing
    const real = await store.prune({ keepLast: 1 });
    expect(real.kept.map((k) => k.id)).toEqual([good.id]);
    expect((await store.list()).map((b) => b.id)).toEqual([good.id]);
    expect(await fs.readdir(join(dir, 'corrupt'))).toHaveLength(1);
  });

  it('prune moves a backup due for removal that does not verify to corrupt/, never deletes it', async () => {
    const store = new BackupStore({ dir });
    const old = await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const older = await store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    const newest = await store.write(json({ v: 3 }), { reason: 'manual', createdAt: at(3) });
    const path = join(dir, `${old.id}.json.gz`);
    const bytes = await fs.readFile(path);
    await fs.writeFile(path, bytes.subarray(0, bytes.length - 30)); // truncated, header intact
    const result = await store.prune({ keepLast: 1 });
    expect(result.kept.map((b) => b.id)).toEqual([newest.id]);
    expect(result.removed.map((b) => b.id)).toEqual([older.id]);
    expect(result.corrupt).toMatchObject([{ id: old.id }]);
    const [moved] = await fs.readdir(join(dir, 'corrupt'));
    expect(moved?.startsWith(old.id)).toBe(true);
    expect(await fs.readFile(join(dir, 'corrupt', moved!))).toEqual(
      bytes.subarray(0, bytes.length - 30),
    );
  });

  it('keeps each content type on its own: a newer database backup never prunes the JSON state', async () => {
    const store = new BackupStore({ dir });
    const state = await store.write(json({ v: 1 }), { reason: 'scheduled', createdAt: at(1) });
    const db1 = await store.write([Buffer.from('SQLite format 3\0one')], {
      reason: 'sqlite',
      createdAt: at(2),
      contentType: 'application/vnd.sqlite3',
    });
    const db2 = await store.write([Buffer.from('SQLite format 3\0two')], {
      reason: 'sqlite',
      createdAt: at(3),
      contentType: 'application/vnd.sqlite3',
    });
    const result = await store.prune({ keepLast: 1 });
    expect(result.kept.map((b) => b.id)).toEqual([db2.id, state.id]);
    expect(result.removed.map((b) => b.id)).toEqual([db1.id]);

    expect((await store.restoreLatest()).backup.id).toBe(db2.id); // no filter: any type
    const latestJson = await store.restoreLatest({ contentType: 'application/json' });
    expect(latestJson).toMatchObject({ data: { v: 1 }, backup: { id: state.id } });
    const atJson = await store.restoreAt(at(3), { contentType: 'application/json' });
    expect(atJson.backup.id).toBe(state.id);
    const error = await caught(store.restoreAt(at(1), { contentType: 'application/vnd.sqlite3' }));
    expect(isBackupNotFoundError(error)).toBe(true);
    expect(String(error)).toMatch(/application\/vnd\.sqlite3/);
  });

  it('restoreLatest with a filter still reports a newer file whose header is unreadable', async () => {
    const store = new BackupStore({ dir });
    const good = await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const bad = await store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    await fs.writeFile(join(dir, `${bad.id}.json.gz`), Buffer.alloc(0));
    const result = await store.restoreLatest({ contentType: 'application/json' });
    expect(result.backup.id).toBe(good.id);
    expect(result.skippedCorrupt).toMatchObject([{ id: bad.id, reason: 'empty' }]);
  });

  it('restoreAt judges a file with an unreadable header by the time in its name', async () => {
    const store = new BackupStore({ dir });
    const good = await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const before = await store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    const after = await store.write(json({ v: 3 }), { reason: 'manual', createdAt: at(4) });
    await fs.writeFile(join(dir, `${before.id}.json.gz`), Buffer.alloc(40));
    await fs.writeFile(join(dir, `${after.id}.json.gz`), Buffer.alloc(40));
    const result = await store.restoreAt(at(3));
    expect(result.backup.id).toBe(good.id);
    expect(result.skippedCorrupt.map((c) => c.id)).toEqual([before.id]); // not the later one
  });

  it('newestVerified skips a newest backup whose payload is damaged, moving nothing', async () => {
    const store = new BackupStore({ dir });
    expect(await store.newestVerified()).toBeUndefined();
    const good = await store.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const bad = await store.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    const path = join(dir, `${bad.id}.json.gz`);
    const bytes = await fs.readFile(path);
    bytes[bytes.length - 12]! ^= 0xff;
    await fs.writeFile(path, bytes);
    expect((await store.newestVerified())?.id).toBe(good.id);
    expect((await store.list()).map((b) => b.id)).toEqual([bad.id, good.id]);
  });

  it('prune never counts a corrupt backup toward what it keeps', async () => {
    const store = new BackupStore({ dir });
    const infos = [];
    for (let i = 1; i <= 5; i++) {
      infos.push(await store.write(json({ v: i }), { reason: 'manual', createdAt: at(i) }));
    }
    for (const damaged of [infos[3]!, infos[2]!]) {
      const path = join(dir, `${damaged.id}.json.gz`);
      const bytes = await fs.readFile(path);
      bytes[bytes.length - 30]! ^= 0x04;
      await fs.writeFile(path, bytes);
    }
    const result = await store.prune({ keepLast: 3 });
    expect(result.kept.map((b) => b.sequence)).toEqual([5, 2, 1]);
    expect(result.removed).toEqual([]);
    expect(result.corrupt.map((c) => c.id).sort()).toEqual([infos[2]!.id, infos[3]!.id].sort());
  });

  it('refuses a reason longer than 200 characters, writing nothing', async () => {
    const store = new BackupStore({ dir });
    await expect(
      store.write(json({ v: 1 }), { reason: 'x'.repeat(201), createdAt: at(1) }),
    ).rejects.toThrow(/reason must be 1 to 200 characters/);
    expect(await store.list()).toEqual([]);
    const long = await store.write(json({ v: 1 }), { reason: 'r'.repeat(200), createdAt: at(1) });
    expect((await store.verify('quick')).valid.map((b) => b.id)).toEqual([long.id]);
  });

  it('verify and restoreAt go on past a backup removed while they run', async () => {
    const seed = new BackupStore({ dir });
    const old = await seed.write(json({ v: 1 }), { reason: 'manual', createdAt: at(1) });
    const gone = await seed.write(json({ v: 2 }), { reason: 'manual', createdAt: at(2) });
    const vanishing: BackupFs = {
      ...fs,
      readFile: ((path: Parameters<typeof fs.readFile>[0], ...rest: never[]) =>
        String(path).includes(gone.id)
          ? Promise.reject(Object.assign(new Error('gone'), { code: 'ENOENT' }))
          : fs.readFile(path, ...rest)) as typeof fs.readFile,
    };
    const store = new BackupStore({ dir, fs: vanishing });
    const { valid, corrupt } = await store.verify('full');
    expect(valid.map((b) => b.id)).toEqual([old.id]);
    expect(corrupt).toEqual([]);
    expect((await store.restoreAt(at(3))).backup.id).toBe(old.id);
  });

  it('read reports decompression progress up to the file size', async () => {
    const store = new BackupStore({ dir });
    const big = { rows: Array.from({ length: 60_000 }, (_, i) => ({ i, r: Math.random() })) };
    const info = await store.write(json(big), { reason: 'manual', createdAt: at(1) });
    const seen: Array<[number, number]> = [];
    const { data } = await store.read(info.id, { onProgress: (d, t) => seen.push([d, t]) });
    expect(data).toEqual(big);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toEqual([info.storedBytes, info.storedBytes]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0]);
  });
});

describe('BackupStore prune: progress and verification reuse', () => {
  it('reports progress over every file, and reads a verified file only once per process', async () => {
    let reads = 0;
    const counting: BackupFs = {
      ...fs,
      readFile: ((path: Parameters<typeof fs.readFile>[0], ...rest: never[]) => {
        if (String(path).includes('keel-backup-')) reads++;
        return fs.readFile(path, ...rest);
      }) as typeof fs.readFile,
    };
    const store = new BackupStore({ dir, fs: counting });
    for (let i = 1; i <= 3; i++) {
      await store.write(json({ v: i }), { reason: 'manual', createdAt: at(i) });
    }
    reads = 0;
    const seen: Array<[number, number]> = [];
    await store.prune({ keepLast: 10 }, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen.at(-1)).toEqual([3, 3]);
    expect(seen.map(([d]) => d)).toEqual([...seen.map(([d]) => d)].sort((a, b) => a - b));
    expect(reads).toBe(3); // each file read once, though prune checks before and under the lock
    await store.prune({ keepLast: 10 });
    expect(reads).toBe(3); // unchanged files are not read again
    const path = join(dir, `${backupId(at(1), 1)}.json.gz`);
    const bytes = await fs.readFile(path);
    await fs.writeFile(path, bytes); // same bytes, new mtime: read again
    reads = 0;
    await store.prune({ keepLast: 10 });
    expect(reads).toBe(1);
  });
});
