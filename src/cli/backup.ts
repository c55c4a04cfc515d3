import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type BackupInfo,
  BackupStore,
  type RetentionPolicy,
  writeFileAtomic,
} from '../backup/index.js';
import { safeText, table } from './render.js';

const USAGE = `Usage: keel backup <list|verify|restore|prune> --dir <dir> [options]

  list                      the backups, newest first
  verify [--quick]          check every checksum (--quick: headers only); corrupt files move to corrupt/
  restore [<id>|--at <ISO time>] [--type json|sqlite] [--out <file>]
                            write the JSON of a backup (default: the newest of --type, json, that
                            verifies) to a file or stdout; a SQLite database needs --out
  prune --keep-last <n> [--keep-hourly <n>] [--keep-daily <n>] [--keep-weekly <n>] [--keep-monthly <n>] [--dry-run]
                            per content type; the newest backup that verifies is always kept, and one due
                            for removal that does not verify is moved to corrupt/ instead

  --key-file <file>         the AES-256 key of encrypted backups (32 bytes or 64 hex characters)
  --json                    machine-readable output
`;

function rows(backups: BackupInfo[]): string[] {
  return table(
    ['ID', 'Created', 'Reason', 'Size', 'Stored'],
    backups.map((b) => [
      b.id,
      b.createdAt,
      safeText(b.reason, 20),
      `${b.sizeBytes}`,
      `${b.storedBytes}`,
    ]),
    new Set([3, 4]),
  );
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

/**
 * A progress bar on a terminal's stderr, counting files or bytes; nothing
 * when stderr is not a terminal. The line is finished when done reaches total.
 */
export function progressBar(
  err: NodeJS.WritableStream & { isTTY?: boolean },
  unit: 'files' | 'bytes' = 'files',
): ((done: number, total: number) => void) | undefined {
  if (err.isTTY !== true) return undefined;
  let finished = false;
  const amount = (n: number) => (unit === 'bytes' ? `${(n / 1_048_576).toFixed(1)} MiB` : `${n}`);
  return (done, total) => {
    if (finished) return;
    const width = 30;
    const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
    err.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${amount(done)}/${amount(total)}`,
    );
    if (done >= total) {
      finished = true;
      err.write('\n');
    }
  };
}

const CONTENT_TYPES = { json: 'application/json', sqlite: 'application/vnd.sqlite3' } as const;

function optional(onProgress: ((done: number, total: number) => void) | undefined): {
  onProgress?: (done: number, total: number) => void;
} {
  return onProgress === undefined ? {} : { onProgress };
}

function at(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new RangeError(
      `--at must be an ISO time such as 2026-11-27T12:00:00Z, got "${safeText(value, 40)}"`,
    );
  }
  return date;
}

/** A key file holds 32 raw bytes or 64 hex characters. */
async function readKey(path: string): Promise<Buffer> {
  const raw = await readFile(path);
  const text = raw.toString('utf8').trim();
  return /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : raw;
}

/** `keel backup …`: returns the exit code. */
export async function backupCommand(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h') {
    out.write(USAGE);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: 'string' },
      'key-file': { type: 'string' },
      json: { type: 'boolean' },
      quick: { type: 'boolean' },
      out: { type: 'string' },
      at: { type: 'string' },
      type: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'keep-last': { type: 'string' },
      'keep-hourly': { type: 'string' },
      'keep-daily': { type: 'string' },
      'keep-weekly': { type: 'string' },
      'keep-monthly': { type: 'string' },
    },
  });
  if (action === undefined || !['list', 'verify', 'restore', 'prune'].includes(action)) {
    err.write(USAGE);
    return 2;
  }
  if (values.dir === undefined) throw new RangeError('--dir <backup directory> is required');
  const store = new BackupStore({
    dir: values.dir,
    ...(values['key-file'] === undefined
      ? {}
      : { encryptionKey: await readKey(values['key-file']) }),
  });
  const json = values.json === true;
  const print = (value: unknown, text: string) =>
    out.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);

  switch (action) {
    case 'list': {
      const backups = await store.list();
      print(backups, backups.length === 0 ? 'No backups.' : rows(backups).join('\n'));
      return 0;
    }
    case 'verify': {
      const result = await store.verify(values.quick === true ? 'quick' : 'full', progressBar(err));
      const lines = [`${result.valid.length} valid, ${result.corrupt.length} corrupt`];
      for (const c of result.corrupt)
        lines.push(`corrupt: ${c.id} (${c.reason}) moved to corrupt/`);
      print(result, lines.join('\n'));
      return result.corrupt.length === 0 ? 0 : 1;
    }
    case 'restore': {
      const id = positionals[0];
      const type = values.type ?? 'json';
      if (type !== 'json' && type !== 'sqlite') {
        throw new RangeError(`--type must be json or sqlite, got "${safeText(type, 20)}"`);
      }
      const options = { contentType: CONTENT_TYPES[type], ...optional(progressBar(err, 'bytes')) };
      const result =
        id !== undefined
          ? { ...(await store.read(id, options)), skippedCorrupt: [] }
          : values.at !== undefined
            ? await store.restoreAt(at(values.at), options)
            : await store.restoreLatest(options);
      for (const c of result.skippedCorrupt)
        err.write(`skipped corrupt backup ${c.id} (${c.reason})\n`);
      const sqlite = result.backup.contentType === 'application/vnd.sqlite3';
      if (sqlite && values.out === undefined) {
        throw new RangeError(`${result.backup.id} is a SQLite database: give --out <file>`);
      }
      const bytes = sqlite ? (result.data as Buffer) : Buffer.from(JSON.stringify(result.data));
      if (values.out !== undefined) {
        await writeFileAtomic(values.out, bytes);
        err.write(`restored ${result.backup.id} to ${values.out}\n`);
      } else {
        out.write(`${bytes.toString('utf8')}\n`);
      }
      return 0;
    }
    default: {
      const policy: RetentionPolicy = {};
      const fields = [
        ['keep-last', 'keepLast'],
        ['keep-hourly', 'keepHourly'],
        ['keep-daily', 'keepDaily'],
        ['keep-weekly', 'keepWeekly'],
        ['keep-monthly', 'keepMonthly'],
      ] as const;
      for (const [flag, field] of fields) {
        const n = count(values[flag], `--${flag}`);
        if (n !== undefined) policy[field] = n;
      }
      if (Object.keys(policy).length === 0)
        throw new RangeError('prune needs at least one --keep-… option');
      const dryRun = values['dry-run'] === true;
      const result = await store.prune(
        { keepLast: 0, ...policy },
        { dryRun, ...optional(progressBar(err)) },
      );
      const moved = dryRun ? 'would move' : 'moved';
      print(
        result,
        `${dryRun ? 'would remove' : 'removed'} ${result.removed.length}, kept ${result.kept.length}` +
          result.removed.map((b) => `\n  ${b.id}`).join('') +
          result.corrupt
            .map((c) => `\ncorrupt: ${c.id} (${c.reason}) ${moved} to corrupt/`)
            .join(''),
      );
      return result.corrupt.length === 0 ? 0 : 1;
    }
  }
}
