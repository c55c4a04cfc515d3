import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import {
  BackupCorruptError,
  BackupNotFoundError,
  type CorruptionReason,
  checkName,
} from '../core/index.js';
import { writeFileAtomic } from './atomic-file.js';
import {
  type BackupHeader,
  type ContentType,
  checkKey,
  decodeBackup,
  type EncryptionKey,
  encodeBackup,
  type Progress,
  parsePayload,
  readHeader,
  verifyBackupBytes,
} from './backup-format.js';
import { acquireDirLock, alive, type DirLockOptions } from './dir-lock.js';
import { applyRetention, type RetentionPolicy } from './retention.js';

/** What Keel knows of one stored backup. */
export interface BackupInfo {
  /** File name without `.json.gz`; what restore takes. */
  id: string;
  /** ISO time the backup was taken. */
  createdAt: string;
  sequence: number;
  reason: string;
  /** Bytes of the JSON payload. */
  sizeBytes: number;
  /** Bytes of the file on disk. */
  storedBytes: number;
  sha256: string;
  /** Time the write took, in ms (0 for backups found on disk). */
  durationMs: number;
  /** `application/json`, or `application/vnd.sqlite3` for a database file. */
  contentType: ContentType;
}

/** A file that failed verification and was moved to `corrupt/`. */
export interface CorruptBackup {
  id: string;
  reason: CorruptionReason;
  message: string;
}

/** What a restore gives: the data, the backup it came from, and corrupt backups skipped on the way. */
export interface RestoreResult {
  /** Parsed JSON, or the database file's bytes for a SQLite backup. */
  data: unknown;
  backup: BackupInfo;
  skippedCorrupt: CorruptBackup[];
}

/** Options of the restores that search for a backup. */
export interface RestoreOptions {
  /** Only backups of this content type (e.g. the app's JSON state, not a database file). */
  contentType?: ContentType;
  /** Called as the chosen backup is decompressed: bytes done of total. */
  onProgress?: Progress;
}

/** What a prune did (or, with `dryRun`, would do). */
export interface PruneResult {
  kept: BackupInfo[];
  removed: BackupInfo[];
  /** Backups due for removal, or the newest checked, that failed verification: moved to `corrupt/` (not on a dry run). */
  corrupt: CorruptBackup[];
}

/** Called as a command works through the backups: files done of total. */
export type FileProgress = (done: number, total: number) => void;

/** The file-system calls the store makes; replace them to inject faults in tests. */
export type BackupFs = Pick<
  typeof nodeFs,
  'mkdir' | 'open' | 'rename' | 'readdir' | 'readFile' | 'stat' | 'unlink' | 'chmod'
>;

/** Options of a {@link BackupStore}. */
export interface BackupStoreOptions {
  /** Directory of the backups; created (0700) when missing. */
  dir: string;
  /** @defaultValue `node:fs/promises` */
  fs?: BackupFs;
  /** The cross-process lock taken for each write and prune. */
  lock?: DirLockOptions;
  /**
   * Encrypts new backups at rest with AES-256-GCM (32 bytes), and opens
   * encrypted ones. Keep it outside the backup directory.
   */
  encryptionKey?: EncryptionKey;
}

/** Longest `reason` a backup may carry: the header must stay small enough to list quickly. */
export const MAX_REASON_LENGTH = 200;

const ID = /^keel-backup-(\d{8}T\d{6}\d{3}Z)-(\d{6,})$/;
const SUFFIX = '.json.gz';
/** The manifest's name (without `.json.gz`): a checksummed cache of the headers, rebuilt when lost. */
export const MANIFEST = 'keel-manifest';
/** Where files that fail verification are moved; never deleted. */
export const CORRUPT_DIR = 'corrupt';

/** The id of a backup taken at `createdAt` with `sequence`: UTC time without colons. */
export function backupId(createdAt: Date, sequence: number): string {
  const time = createdAt.toISOString().replace(/[-:.]/g, '');
  return `keel-backup-${time}-${String(sequence).padStart(6, '0')}`;
}

/**
 * Checks that `id` is a backup id and nothing else (no path, no `..`).
 * @throws RangeError naming the id
 */
export function checkBackupId(id: unknown): string {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new RangeError(
      `backup id must look like keel-backup-20260101T000000000Z-000001, got ${JSON.stringify(String(id)).slice(0, 80)}`,
    );
  }
  return id;
}

/**
 * Backups as files in one directory, written crash-safely: temp file in the
 * same directory → write → fsync → close → rename → fsync the directory.
 * Files are 0600, the directory 0700. A file counts only if its checksum
 * verifies; corrupt ones are moved to `corrupt/`, never deleted or restored.
 *
 * @example
 * const store = new BackupStore({ dir: 'backups' });
 * const info = await store.write([Buffer.from(JSON.stringify(state))], { reason: 'manual' });
 * const { data } = await store.restoreLatest();
 */
export class BackupStore {
  readonly dir: string;
  readonly #fs: BackupFs;
  readonly #lock: DirLockOptions;
  readonly #key: Buffer | undefined;
  /** Files that fully verified, by id, with the size and mtime they had: backups never change once written. */
  readonly #verified = new Map<
    string,
    { stamp: string; checked: { header: BackupHeader; size: number } }
  >();

  constructor(options: BackupStoreOptions) {
    if (typeof options?.dir !== 'string' || options.dir.length === 0) {
      throw new TypeError('dir must be a non-empty path to the backup directory');
    }
    this.dir = options.dir;
    this.#fs = options.fs ?? nodeFs;
    this.#lock = options.lock ?? {};
    this.#key = options.encryptionKey === undefined ? undefined : checkKey(options.encryptionKey);
  }

  /**
   * Writes one backup of the serialised `payload` (chunks of JSON, e.g. from
   * `serializeJson`) and returns its info once
   * the file and its directory entry are on disk.
   * @throws the file system's error (ENOSPC, EACCES, …); earlier backups stay intact
   */
  async write(
    payload: Iterable<Buffer> | AsyncIterable<Buffer>,
    meta: { reason: string; createdAt: Date; contentType?: ContentType },
  ): Promise<BackupInfo> {
    checkName(meta.reason, 'reason', MAX_REASON_LENGTH);
    const started = performance.now();
    await this.#fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const release = await acquireDirLock(this.dir, this.#fs, this.#lock);
    try {
      return await this.#writeLocked(payload, meta, started);
    } finally {
      await release();
    }
  }

  async #writeLocked(
    payload: Iterable<Buffer> | AsyncIterable<Buffer>,
    meta: { reason: string; createdAt: Date; contentType?: ContentType },
    started: number,
  ): Promise<BackupInfo> {
    await this.#removeStaleTemp();
    // Read under the lock: another process may have written since.
    const ids = await this.#ids();
    const sequence = ids.length === 0 ? 1 : sequenceOf(ids[0]!) + 1;
    const { bytes, header } = await encodeBackup(
      payload,
      { ...meta, sequence },
      this.#key === undefined ? {} : { key: this.#key },
    );
    const id = backupId(meta.createdAt, sequence);
    await retryTransient(() => this.#writeFile(id, bytes));
    await this.#syncDir();
    await this.#writeManifest();
    return info(id, header, bytes.length, performance.now() - started);
  }

  /** One try at the durable write of a backup file; no temp file survives a failure. */
  #writeFile(id: string, bytes: Buffer): Promise<void> {
    // The temp name starts with `.keel-`: a crashed write's leftover is swept under the lock.
    const temp = join(this.dir, `.${id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    return writeFileAtomic(join(this.dir, `${id}${SUFFIX}`), bytes, { fs: this.#fs, temp });
  }

  /**
   * Every backup, newest first, from the headers alone (quick: the payloads
   * are not read). A file whose header does not parse is left out; verify()
   * reports it.
   */
  async list(): Promise<BackupInfo[]> {
    const ids = await this.#ids();
    const manifest = await this.#readManifest();
    // The manifest is a cache of the headers: used only when it names exactly the files present.
    if (manifest !== undefined && sameIds(manifest, ids)) {
      return ids.map((id) => manifest.find((b) => b.id === id)!);
    }
    const out: BackupInfo[] = [];
    for (const id of ids) {
      const found = await this.#header(id);
      if (found !== undefined) out.push(info(id, found.header, found.size, 0));
    }
    return out;
  }

  /**
   * Applies a policy to each content type on its own (a SQLite backup never
   * pushes out the JSON ones, nor the reverse), over the backups that fully
   * verify: a corrupt file neither counts toward what is kept nor gets
   * deleted — it is reported and, with `quarantine`, moved aside. Files
   * verified before (same size and mtime) are not read again.
   */
  async #retain(
    policy: RetentionPolicy,
    quarantine: boolean,
    onProgress: FileProgress | undefined,
  ): Promise<PruneResult> {
    // Every backup file, not only those whose header lists: an unreadable one is corrupt too.
    const ids = await this.#ids();
    const listed = new Map((await this.list()).map((b) => [b.id, b]));
    const valid: BackupInfo[] = [];
    const corrupt: CorruptBackup[] = [];
    for (const [done, id] of ids.entries()) {
      onProgress?.(done, ids.length);
      try {
        const checked = await this.#verifyCached(id);
        valid.push(listed.get(id) ?? info(id, checked.header, checked.size, 0));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        if (!(error instanceof BackupCorruptError)) throw error;
        corrupt.push({ id, reason: error.reason, message: error.message });
        if (quarantine) await this.#quarantine(id);
      }
    }
    onProgress?.(ids.length, ids.length);
    const kept: BackupInfo[] = [];
    const removed: BackupInfo[] = [];
    for (const group of byContentType(valid)) {
      const { keep, remove } = applyRetention(group, policy);
      kept.push(...keep);
      removed.push(...remove);
    }
    return { kept: newestFirst(kept), removed: newestFirst(removed), corrupt };
  }

  /** {@link verifyFile}, skipped for a file that verified before and has not changed since. */
  async #verifyCached(id: string): Promise<{ header: BackupHeader; size: number }> {
    const { size, mtimeMs } = await this.#fs.stat(this.#path(id));
    const stamp = `${size}:${mtimeMs}`;
    const known = this.#verified.get(id);
    if (known?.stamp === stamp) return known.checked;
    this.#verified.delete(id);
    const checked = await this.#verifyFile(id);
    this.#verified.set(id, { stamp, checked });
    return checked;
  }

  /** The newest backup (of `contentType` when given) whose file fully verifies; nothing is moved. */
  async newestVerified(contentType?: ContentType): Promise<BackupInfo | undefined> {
    for (const b of await this.list()) {
      if (contentType !== undefined && b.contentType !== contentType) continue;
      try {
        await this.#verifyCached(b.id);
        return b;
      } catch (error) {
        if (error instanceof BackupCorruptError) continue;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
    }
    return undefined;
  }

  /** The manifest's entries if it verifies; `undefined` when missing or corrupt (it is rebuilt). */
  async #readManifest(): Promise<BackupInfo[] | undefined> {
    try {
      const bytes = await this.#fs.readFile(join(this.dir, `${MANIFEST}${SUFFIX}`));
      const parsed = parsePayload((await decodeBackup(bytes)).payload) as { backups?: unknown };
      return Array.isArray(parsed.backups) ? (parsed.backups as BackupInfo[]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Rewrites the manifest from the headers (under the lock). A failure only costs speed. */
  async #writeManifest(): Promise<void> {
    try {
      const backups: BackupInfo[] = [];
      for (const id of await this.#ids()) {
        const found = await this.#header(id);
        if (found !== undefined) backups.push(info(id, found.header, found.size, 0));
      }
      const { bytes } = await encodeBackup([Buffer.from(JSON.stringify({ backups }))], {
        createdAt: new Date(),
        sequence: 0,
        reason: 'manifest',
      });
      await this.#writeFile(MANIFEST, bytes);
    } catch {
      // list() rebuilds from the files when the manifest is missing or stale.
    }
  }

  /**
   * Checks every backup: `quick` reads the headers, `full` also checks every
   * payload's length and SHA-256. Corrupt files are moved to `corrupt/`.
   */
  async verify(
    level: 'quick' | 'full' = 'full',
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ valid: BackupInfo[]; corrupt: CorruptBackup[] }> {
    const valid: BackupInfo[] = [];
    const corrupt: CorruptBackup[] = [];
    const ids = await this.#ids();
    for (const [done, id] of ids.entries()) {
      onProgress?.(done, ids.length);
      try {
        if (level === 'full') {
          const { header, size } = await this.#verifyFile(id);
          valid.push(info(id, header, size, 0));
        } else {
          const start = await this.#start(id);
          valid.push(info(id, matchesName(id, readHeader(start.bytes)), start.size, 0));
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // pruned meanwhile
        if (!(error instanceof BackupCorruptError)) throw error;
        corrupt.push({ id, reason: error.reason, message: error.message });
        await this.#quarantine(id);
      }
    }
    onProgress?.(ids.length, ids.length);
    return { valid, corrupt };
  }

  /**
   * Deletes the backups the policy does not keep, per content type; the newest
   * that verifies is always kept. A backup due for removal that does not
   * verify is moved to `corrupt/` and reported, never deleted. With `dryRun`,
   * only says what would happen.
   */
  async prune(
    policy: RetentionPolicy,
    options: { dryRun?: boolean; onProgress?: FileProgress } = {},
  ): Promise<PruneResult> {
    if (options.dryRun === true) return this.#retain(policy, false, options.onProgress);
    // Read and check the files before taking the lock (a long job), so that the
    // app's own backups wait only for the deletions.
    await this.#retain(policy, false, options.onProgress).catch(() => undefined);
    const release = await acquireDirLock(this.dir, this.#fs, this.#lock).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // no directory: nothing to prune
      throw error;
    });
    try {
      const result = await this.#retain(policy, true, undefined);
      for (const b of result.removed)
        await this.#fs.unlink(this.#path(b.id)).catch(() => undefined);
      if (result.removed.length > 0 || result.corrupt.length > 0) {
        await this.#syncDir();
        await this.#writeManifest();
      }
      return result;
    } finally {
      await release?.();
    }
  }

  /**
   * The newest backup taken at or before `date` that verifies (of
   * `contentType` when given); corrupt ones on the way are moved aside and
   * reported in `skippedCorrupt`.
   * @throws BackupNotFoundError when there is none
   */
  async restoreAt(date: Date, options: RestoreOptions = {}): Promise<RestoreResult> {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new TypeError('restoreAt needs a valid Date');
    }
    const limit = date.getTime();
    return this.#restoreNewest(options, `at or before ${date.toISOString()}`, (t) => t <= limit);
  }

  /**
   * The newest backup that verifies (of `contentType` when given); corrupt
   * ones on the way are moved to `corrupt/` and reported in `skippedCorrupt`.
   * @throws BackupNotFoundError when no backup verifies
   */
  async restoreLatest(options: RestoreOptions = {}): Promise<RestoreResult> {
    return this.#restoreNewest(options, 'latest', () => true);
  }

  /**
   * Walks the backups newest first and restores the first taken at a time
   * `inTime` accepts, of the content type asked for, that verifies. A file
   * whose header does not even parse is judged by the time in its name and
   * tried (so reported as corrupt) whatever the content type.
   */
  async #restoreNewest(
    options: RestoreOptions,
    what: string,
    inTime: (createdAtMs: number) => boolean,
  ): Promise<RestoreResult> {
    const skippedCorrupt: CorruptBackup[] = [];
    const type = options.contentType;
    for (const id of await this.#ids()) {
      const header = (await this.#header(id))?.header;
      if (!inTime(header === undefined ? timeOf(id) : Date.parse(header.createdAt))) continue;
      if (header !== undefined && type !== undefined) {
        if ((header.contentType ?? 'application/json') !== type) continue;
      }
      try {
        return { ...(await this.read(id, options)), skippedCorrupt };
      } catch (error) {
        if (error instanceof BackupNotFoundError) continue; // pruned meanwhile
        if (!(error instanceof BackupCorruptError)) throw error;
        skippedCorrupt.push({ id, reason: error.reason, message: error.message });
      }
    }
    throw new BackupNotFoundError(type === undefined ? what : `${what} (${type})`);
  }

  #keyOption(): { key?: Buffer } {
    return this.#key === undefined ? {} : { key: this.#key };
  }

  /** Reads a whole backup file and checks it (length, SHA-256, name); parses nothing. */
  async #verifyFile(id: string): Promise<{ header: BackupHeader; size: number }> {
    const bytes = await this.#fs.readFile(this.#path(id));
    return { header: matchesName(id, await verifyBackupBytes(bytes)), size: bytes.length };
  }

  async #header(id: string): Promise<{ header: BackupHeader; size: number } | undefined> {
    try {
      const start = await this.#start(id);
      return { header: matchesName(id, readHeader(start.bytes)), size: start.size };
    } catch (error) {
      if (error instanceof BackupCorruptError) return undefined;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The first 4 KiB of a backup file (its header member) and the file size. */
  async #start(id: string): Promise<{ bytes: Buffer; size: number }> {
    const handle = await this.#fs.open(this.#path(id), 'r');
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.min(size, 4096));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return { bytes: buffer.subarray(0, bytesRead), size };
    } finally {
      await handle.close();
    }
  }

  /**
   * Reads, verifies and parses one backup.
   * @throws RangeError for an id that is not a backup id; BackupNotFoundError when absent;
   * BackupCorruptError when it does not verify (the file is moved to `corrupt/`)
   */
  async read(
    id: string,
    options: { onProgress?: Progress } = {},
  ): Promise<{ data: unknown; backup: BackupInfo }> {
    checkBackupId(id);
    let bytes: Buffer;
    try {
      bytes = await this.#fs.readFile(this.#path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupNotFoundError(id);
      throw error;
    }
    try {
      const { header, payload } = await decodeBackup(bytes, {
        ...this.#keyOption(),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      });
      matchesName(id, header);
      // A SQLite payload comes back as the database file's bytes.
      const data =
        header.contentType === 'application/vnd.sqlite3' ? payload : parsePayload(payload);
      return { data, backup: info(id, header, bytes.length, 0) };
    } catch (error) {
      if (error instanceof BackupCorruptError) await this.#quarantine(id);
      throw error;
    }
  }

  /** Backup ids in the directory, newest (highest sequence) first. */
  async #ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await this.#fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((n) => n.endsWith(SUFFIX))
      .map((n) => n.slice(0, -SUFFIX.length))
      .filter((id) => ID.test(id))
      .sort((a, b) => sequenceOf(b) - sequenceOf(a));
  }

  /**
   * Temp files of writes that never finished (only the lock holder runs this),
   * and SQLite copies whose process died.
   */
  async #removeStaleTemp(): Promise<void> {
    for (const name of await this.#fs.readdir(this.dir)) {
      const copyOwner = /^\.sqlite-(\d+)-[0-9a-f]+\.partial$/.exec(name)?.[1];
      const stale =
        (name.startsWith('.keel-') && name.endsWith('.tmp')) ||
        (copyOwner !== undefined && !alive(Number(copyOwner)));
      if (stale) await this.#fs.unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  #path(id: string): string {
    return join(this.dir, `${id}${SUFFIX}`);
  }

  async #quarantine(id: string): Promise<void> {
    const dir = join(this.dir, CORRUPT_DIR);
    try {
      await this.#fs.mkdir(dir, { recursive: true, mode: 0o700 });
      // A unique suffix: an earlier quarantined file of the same name is never overwritten.
      await this.#fs.rename(
        this.#path(id),
        join(dir, `${id}.${Date.now()}-${randomBytes(3).toString('hex')}${SUFFIX}`),
      );
    } catch {
      // Left in place: it still never counts, because it does not verify.
    }
  }

  async #syncDir(): Promise<void> {
    let handle: nodeFs.FileHandle | undefined;
    try {
      handle = await this.#fs.open(this.dir, 'r');
      await handle.sync();
    } catch {
      // Some file systems cannot fsync a directory; the rename is still atomic.
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}

/** Storage errors that go away by themselves: retried with backoff. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'EBUSY',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'ELOCKED',
]);
/** Storage errors that will not: fail fast (earlier backups stay intact). */
export const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'ENOSPC',
  'EACCES',
  'EPERM',
  'EROFS',
  'EDQUOT',
]);

/** Runs `fn`, retrying transient storage errors 3 times (25, 100, 400 ms). */
async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= 3 || code === undefined || !TRANSIENT_CODES.has(code)) throw error;
      await new Promise((r) => setTimeout(r, 25 * 4 ** attempt).unref());
    }
  }
}

/**
 * A file whose header names another backup (renamed or swapped files) would
 * restore the wrong state under this id: it counts as corrupt.
 */
function matchesName(id: string, header: BackupHeader): BackupHeader {
  if (backupId(new Date(header.createdAt), header.sequence) !== id) {
    throw new BackupCorruptError(
      'name-mismatch',
      `the file holds backup ${header.sequence} of ${header.createdAt}, not ${id}`,
    );
  }
  return header;
}

function sameIds(manifest: readonly BackupInfo[], ids: readonly string[]): boolean {
  if (manifest.length !== ids.length) return false;
  const names = new Set(manifest.map((b) => b?.id));
  return ids.every((id) => names.has(id));
}

function newestFirst(backups: BackupInfo[]): BackupInfo[] {
  return backups.sort((a, b) => b.sequence - a.sequence);
}

/** Backups grouped by content type, each group newest first as given. */
function byContentType(backups: readonly BackupInfo[]): BackupInfo[][] {
  const groups = new Map<ContentType, BackupInfo[]>();
  for (const b of backups) {
    const group = groups.get(b.contentType);
    if (group === undefined) groups.set(b.contentType, [b]);
    else group.push(b);
  }
  return [...groups.values()];
}

/** The time in a backup id (`keel-backup-20261127T100001000Z-…`), in ms since the epoch. */
function timeOf(id: string): number {
  const t = ID.exec(id)?.[1] ?? '';
  const iso = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.${t.slice(15, 18)}Z`;
  return Date.parse(iso);
}

function sequenceOf(id: string): number {
  return Number(ID.exec(id)?.[2] ?? -1);
}

function info(
  id: string,
  header: BackupHeader,
  storedBytes: number,
  durationMs: number,
): BackupInfo {
  return {
    id,
    createdAt: header.createdAt,
    sequence: header.sequence,
    reason: header.reason,
    sizeBytes: header.payloadBytes,
    storedBytes,
    sha256: header.sha256,
    durationMs,
    contentType: header.contentType ?? 'application/json',
  };
}
