import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PerformanceMonitor } from '../src/index.js';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-sqlite-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('SQLite online backup into the backup store', () => {
  it('backs up a live database and restores it to a file that opens with the same rows', async () => {
    const db = new Database(join(dir, 'app.db'));
    db.exec('create table invoices (id integer primary key, total_cents integer)');
    const insert = db.prepare('insert into invoices (total_cents) values (?)');
    for (let i = 0; i < 500; i++) insert.run(i * 100);
    const monitor = new PerformanceMonitor({ backupDir: join(dir, 'backups') });
    const info = await monitor.backupSqlite(db);
    expect(info).toMatchObject({ contentType: 'application/vnd.sqlite3', reason: 'sqlite' });
    insert.run(1); // the live database goes on changing; the backup does not
    const restored = join(dir, 'restored.db');
    await monitor.backups.restoreSqliteTo(restored, info.id);
    expect((await fs.stat(restored)).mode & 0o777).toBe(0o600);
    const copy = new Database(restored, { readonly: true });
    expect(copy.prepare('select count(*) as n, sum(total_cents) as s from invoices').get()).toEqual(
      {
        n: 500,
        s: 12_475_000,
      },
    );
    copy.close();
    db.close();
    // A JSON backup in the same store is not taken for a database.
    const json = await monitor.performBackup({ a: 1 });
    await expect(monitor.backups.restoreSqliteTo(restored, json.id)).rejects.toThrow(
      /not a SQLite database/,
    );
    expect((await monitor.restoreBackup(info.id)).data).toBeInstanceOf(Buffer);
    await monitor.close();
  });

  it('encrypts a database backup at rest like the JSON ones', async () => {
    const db = new Database(join(dir, 'app.db'));
    db.exec("create table secrets (v text); insert into secrets values ('card-4242-4242')");
    const key = randomBytes(32);
    const monitor = new PerformanceMonitor({
      backupDir: join(dir, 'backups'),
      backupEncryptionKey: key,
    });
    const info = await monitor.backupSqlite(db);
    db.close();
    const stored = await fs.readFile(join(dir, 'backups', `${info.id}.json.gz`));
    expect(gunzipSync(stored).includes(Buffer.from('card-4242'))).toBe(false);
    const restored = join(dir, 'restored.db');
    await monitor.backups.restoreSqliteTo(restored);
    const copy = new Database(restored, { readonly: true });
    expect(copy.prepare('select v from secrets').get()).toEqual({ v: 'card-4242-4242' });
    copy.close();
    await monitor.close();
  });

  it('keeps database and JSON backups apart: restore without id, and retention per kind', async () => {
    const db = new Database(join(dir, 'app.db'));
    db.exec('create table t (v integer)');
    db.prepare('insert into t values (42)').run();
    const monitor = new PerformanceMonitor({
      backupDir: join(dir, 'backups'),
      backupRetention: { keepLast: 1 },
    });
    const dbBackup = await monitor.backupSqlite(db);
    await monitor.performBackup({ state: 1 });
    await monitor.performBackup({ state: 2 }); // keepLast 1 per kind: the database backup stays
    const kinds = (await monitor.listBackups()).map((b) => b.contentType);
    expect(kinds).toEqual(['application/json', 'application/vnd.sqlite3']);
    const restored = join(dir, 'latest.db');
    expect((await monitor.backups.restoreSqliteTo(restored)).id).toBe(dbBackup.id);
    const copy = new Database(restored, { readonly: true });
    expect(copy.prepare('select v from t').get()).toEqual({ v: 42 });
    copy.close();
    expect((await monitor.restoreLatest()).data).toEqual({ state: 2 });
    db.close();
    await monitor.close();
  });
});
