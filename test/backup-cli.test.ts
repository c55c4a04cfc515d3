import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore, serializeJson } from '../src/backup/index.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
let dir: string;

async function keel(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-cli-'));
  const store = new BackupStore({ dir });
  for (let i = 1; i <= 3; i++) {
    await store.write(serializeJson({ orders: i }), {
      reason: 'manual',
      createdAt: new Date(Date.UTC(2026, 10, 27, i)),
    });
  }
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('keel backup', () => {
  it('lists backups as a table and as JSON', async () => {
    const table = await keel('backup', 'list', '--dir', dir);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ID\s+Created\s+Reason\s+Size\s+Stored/);
    const json = JSON.parse((await keel('backup', 'list', '--dir', dir, '--json')).stdout);
    expect(json.map((b: { sequence: number }) => b.sequence)).toEqual([3, 2, 1]);
  });

  it('restores the newest, by id, at a time, and to a 0600 file', async () => {
    expect(JSON.parse((await keel('backup', 'restore', '--dir', dir)).stdout)).toEqual({
      orders: 3,
    });
    const [, , first] = JSON.parse((await keel('backup', 'list', '--dir', dir, '--json')).stdout);
    expect(JSON.parse((await keel('backup', 'restore', first.id, '--dir', dir)).stdout)).toEqual({
      orders: 1,
    });
    const at = await keel('backup', 'restore', '--dir', dir, '--at', '2026-11-27T02:30:00Z');
    expect(JSON.parse(at.stdout)).toEqual({ orders: 2 });
    const out = join(dir, 'restored.json');
    await keel('backup', 'restore', '--dir', dir, '--out', out);
    expect(JSON.parse(await fs.readFile(out, 'utf8'))).toEqual({ orders: 3 });
    expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
  });

  it('verifies, exiting 1 and naming the corrupt file', async () => {
    expect((await keel('backup', 'verify', '--dir', dir)).stdout).toMatch(/3 valid, 0 corrupt/);
    const [newest] = JSON.parse((await keel('backup', 'list', '--dir', dir, '--json')).stdout);
    await fs.writeFile(join(dir, `${newest.id}.json.gz`), Buffer.alloc(64));
    const result = await keel('backup', 'verify', '--dir', dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`corrupt: ${newest.id}`);
  });

  it('prunes with a dry run first', async () => {
    const dry = await keel('backup', 'prune', '--dir', dir, '--keep-last', '1', '--dry-run');
    expect(dry.stdout).toMatch(/would remove 2, kept 1/);
    expect(JSON.parse((await keel('backup', 'list', '--dir', dir, '--json')).stdout)).toHaveLength(
      3,
    );
    await keel('backup', 'prune', '--dir', dir, '--keep-last', '1');
    expect(JSON.parse((await keel('backup', 'list', '--dir', dir, '--json')).stdout)).toHaveLength(
      1,
    );
  });

  it('prune moves a corrupt backup due for removal to corrupt/ and exits 1 naming it', async () => {
    const [, , oldest] = JSON.parse((await keel('backup', 'list', '--dir', dir, '--json')).stdout);
    const path = join(dir, `${oldest.id}.json.gz`);
    const bytes = await fs.readFile(path);
    await fs.writeFile(path, bytes.subarray(0, bytes.length - 20));
    const result = await keel('backup', 'prune', '--dir', dir, '--keep-last', '1', '--json');
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout);
    expect(out.corrupt.map((c: { id: string }) => c.id)).toEqual([oldest.id]);
    expect(out.removed).toHaveLength(1);
    expect(await fs.readdir(join(dir, 'corrupt'))).toHaveLength(1);
  });

  it('restores the newest SQLite backup with --type sqlite, the JSON state by default', async () => {
    const db = Buffer.concat([Buffer.from('SQLite format 3\0'), randomBytes(100)]);
    await new BackupStore({ dir }).write([db], {
      reason: 'sqlite',
      createdAt: new Date(Date.UTC(2026, 10, 27, 5)),
      contentType: 'application/vnd.sqlite3',
    });
    expect(JSON.parse((await keel('backup', 'restore', '--dir', dir)).stdout)).toEqual({
      orders: 3,
    });
    const out = join(dir, 'restored.db');
    const noOut = await keel('backup', 'restore', '--dir', dir, '--type', 'sqlite');
    expect(noOut.stderr).toMatch(/is a SQLite database: give --out/);
    expect(
      (await keel('backup', 'restore', '--dir', dir, '--type', 'sqlite', '--out', out)).code,
    ).toBe(0);
    expect(await fs.readFile(out)).toEqual(db);
  });

  it('restores an encrypted backup with --key-file', async () => {
    const key = randomBytes(32);
    const secret = join(dir, 'secret');
    await fs.mkdir(secret);
    await new BackupStore({ dir: secret, encryptionKey: key }).write(serializeJson({ card: 'x' }), {
      reason: 'manual',
      createdAt: new Date(),
    });
    const keyFile = join(dir, 'key.hex');
    await fs.writeFile(keyFile, key.toString('hex'), { mode: 0o600 });
    const without = await keel('backup', 'restore', '--dir', secret);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/encrypted: give the encryptionKey/);
    const ok = await keel('backup', 'restore', '--dir', secret, '--key-file', keyFile);
    expect(JSON.parse(ok.stdout)).toEqual({ card: 'x' });
  });

  it.each([
    [['backup', 'list'], /--dir <backup directory> is required/],
    [['backup', 'restore', '../../etc/passwd', '--dir', '.'], /backup id must look like/],
    [['backup', 'prune', '--dir', '.'], /at least one --keep/],
    [
      ['backup', 'prune', '--dir', '.', '--keep-last=-3'],
      /--keep-last must be a non-negative integer/,
    ],
    [['backup', 'nope'], /Usage: keel backup/],
    [['backup', 'restore', '--dir', '.', '--at', 'yesterday'], /--at must be an ISO time/],
    [['backup', 'restore', '--dir', '.', '--type', 'csv'], /--type must be json or sqlite/],
  ])('rejects %j clearly', async (args, message) => {
    const result = await keel(...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});
