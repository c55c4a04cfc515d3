import { randomBytes } from 'node:crypto';
import type * as nodeFs from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The file-system calls the lock makes; inject faulty ones in tests. */
export type DirLockFs = Pick<typeof nodeFs, 'open' | 'readFile' | 'rename' | 'stat' | 'unlink'>;

/** Name of the lock file in a backup directory. */
export const LOCK_FILE = '.keel-backup.lock';

/** Options of {@link acquireDirLock}. */
export interface DirLockOptions {
  /** Longest to wait for another process to release the lock. @defaultValue 10_000 */
  timeoutMs?: number;
  /** A lock older than this from another host counts as stale. @defaultValue 600_000 */
  staleMs?: number;
}

interface Owner {
  pid: number;
  host: string;
  at: number;
  token: string;
}

/** The lock is held by a live process. */
export class DirLockedError extends Error {
  readonly code = 'ELOCKED' as const;
}

/** True when a process with this pid runs (on this host). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the cross-process lock of a backup directory: a file created with
 * O_EXCL holding the owner's pid, host and time. A lock whose owner process
 * is dead (same host), or that is older than `staleMs` (another host), is
 * taken over. Returns the release function.
 * @throws DirLockedError (code `ELOCKED`) when a live owner keeps it past `timeoutMs`
 */
export async function acquireDirLock(
  dir: string,
  fs: DirLockFs,
  options: DirLockOptions = {},
): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 600_000;
  const me: Owner = {
    pid: process.pid,
    host: hostname(),
    at: Date.now(),
    token: randomBytes(8).toString('hex'),
  };
  const deadline = performance.now() + timeoutMs;
  let waitMs = 5;
  for (;;) {
    try {
      const handle = await fs.open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(me));
        await handle.close();
      } catch (error) {
        // A lock we could not fill in would block everyone: remove it.
        await handle.close().catch(() => undefined);
        await fs.unlink(path).catch(() => undefined);
        throw error;
      }
      return async () => {
        const owner = await readOwner(fs, path);
        if (owner?.token === me.token) await fs.unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(fs, path);
    const stale =
      owner === undefined
        ? await unreadableFor(fs, path, UNREADABLE_STALE_MS)
        : owner.host === me.host
          ? !alive(owner.pid)
          : Date.now() - owner.at > staleMs;
    if (stale) {
      await takeOver(fs, path, owner);
      continue;
    }
    if (performance.now() >= deadline) {
      throw new DirLockedError(
        `the backup directory ${dir} is locked by process ${owner?.pid ?? '?'} on ${owner?.host ?? '?'}; ` +
          `if that process is gone, delete ${path}`,
      );
    }
    await new Promise((r) => setTimeout(r, waitMs).unref());
    waitMs = Math.min(waitMs * 2, 200);
  }
}

/** A lock file that stays unreadable this long was left half-written by a crash. */
const UNREADABLE_STALE_MS = 10_000;

async function unreadableFor(fs: DirLockFs, path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

async function readOwner(fs: DirLockFs, path: string): Promise<Owner | undefined> {
  try {
    const o = JSON.parse(await fs.readFile(path, 'utf8')) as Partial<Owner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.at === 'number') {
      return { pid: o.pid, host: o.host, at: o.at, token: String(o.token) };
    }
  } catch {
    // Unreadable or half-written: treated as held until it can be read.
  }
  return undefined;
}

/** Moves a stale lock away atomically; puts it back if another process renewed it meanwhile. */
async function takeOver(fs: DirLockFs, path: string, stale: Owner | undefined): Promise<void> {
  const aside = `${path}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await fs.rename(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readOwner(fs, aside);
  if (moved !== undefined && moved.token !== stale?.token) {
    await fs.rename(aside, path).catch(() => undefined);
    return;
  }
  await fs.unlink(aside).catch(() => undefined);
}
