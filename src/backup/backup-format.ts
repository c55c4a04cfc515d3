import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  createGunzip,
  createGzip,
  type Gunzip,
  gunzip as gunzipCb,
  gunzipSync,
  gzip as gzipCb,
  constants as zlibConstants,
} from 'node:zlib';
import { BackupCorruptError } from '../core/index.js';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

/** Identifies a Keel backup file; checked before anything else is trusted. */
export const BACKUP_FORMAT = 'keel-backup';
/** Version of the file layout this code writes and reads. */
export const BACKUP_FORMAT_VERSION = 1;

/**
 * The first line of a backup, before the payload. Everything needed to check
 * the payload is here: its length and its SHA-256.
 */
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_FORMAT_VERSION;
  /** ISO time the backup was taken. */
  createdAt: string;
  /** Increasing number of the backup in its directory. */
  sequence: number;
  /** Why it was taken: `scheduled`, `manual`, `final`, … */
  reason: string;
  /** Length of the payload JSON in bytes (UTF-8). */
  payloadBytes: number;
  /** SHA-256 of the payload bytes, hex. */
  sha256: string;
  /** Set when the payload is encrypted at rest. */
  encryption?: BackupEncryption;
  /** Set for payloads that are not JSON (a SQLite database). */
  contentType?: ContentType;
}

/**
 * How an encrypted payload was sealed: AES-256-GCM over the gzip-compressed
 * payload. `ciphertextSha256` tells a damaged file (corrupt) from a wrong key.
 */
export interface BackupEncryption {
  algorithm: 'aes-256-gcm';
  iv: string;
  tag: string;
  ciphertextSha256: string;
}

/** A 32-byte key for AES-256-GCM. */
export type EncryptionKey = Buffer | Uint8Array;

/**
 * Checks an encryption key.
 * @throws TypeError unless it is 32 bytes
 */
export function checkKey(key: unknown): Buffer {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new TypeError(
      'encryptionKey must be 32 bytes (AES-256), e.g. crypto.randomBytes(32) kept in a secret store',
    );
  }
  return Buffer.from(key);
}

/** Thrown when an encrypted backup is read without its key, or with another key. */
export class BackupKeyError extends Error {
  readonly code = 'KEEL_BACKUP_KEY' as const;
}

/** What {@link encodeBackup} needs besides the payload. */
export interface BackupMeta {
  createdAt: Date;
  sequence: number;
  reason: string;
  /** What the payload is. @defaultValue 'application/json' */
  contentType?: ContentType;
}

/** Payload kinds: a JSON document, or a SQLite database file. */
export type ContentType = 'application/json' | 'application/vnd.sqlite3';

/**
 * Builds the bytes of a backup file: `header JSON + "\n" + payload`, gzip
 * compressed, where the header carries the payload's length and SHA-256.
 * The payload (serialised JSON) comes in chunks, as an array or as an async
 * iterable; it is hashed chunk by chunk and compressed off the event loop
 * (zlib's thread pool), in a gzip member of its own after the header's.
 */
export async function encodeBackup(
  payload: Iterable<Buffer> | AsyncIterable<Buffer>,
  meta: BackupMeta,
  options: { key?: EncryptionKey } = {},
): Promise<{ bytes: Buffer; header: BackupHeader }> {
  const hash = createHash('sha256');
  const gz = createGzip();
  const compressed: Buffer[] = [];
  gz.on('data', (chunk: Buffer) => compressed.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gz.once('end', resolve);
    gz.once('error', reject);
  });
  let payloadBytes = 0;
  try {
    for await (const chunk of payload) {
      hash.update(chunk);
      payloadBytes += chunk.length;
      if (!gz.write(chunk)) await once(gz, 'drain');
    }
  } catch (error) {
    gz.destroy();
    throw error;
  }
  gz.end();
  await done;
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    version: BACKUP_FORMAT_VERSION,
    createdAt: meta.createdAt.toISOString(),
    sequence: meta.sequence,
    reason: meta.reason,
    payloadBytes,
    sha256: hash.digest('hex'),
    ...(meta.contentType === undefined || meta.contentType === 'application/json'
      ? {}
      : { contentType: meta.contentType }),
  };
  let body = compressed;
  if (options.key !== undefined) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', checkKey(options.key), iv);
    const parts = compressed.map((c) => cipher.update(c));
    parts.push(cipher.final());
    const ciphertext = Buffer.concat(parts);
    header.encryption = {
      algorithm: 'aes-256-gcm',
      iv: iv.toString('hex'),
      tag: cipher.getAuthTag().toString('hex'),
      ciphertextSha256: createHash('sha256').update(ciphertext).digest('hex'),
    };
    // Stored (level 0) so the file stays one gzip stream of header line + ciphertext.
    body = [await gzip(ciphertext, { level: 0 })];
  }
  const head = await gzip(Buffer.from(`${JSON.stringify(header)}\n`));
  // The header member's gzip header carries (in its extra field, which gunzip
  // skips) the SHA-256 of the whole file: bits no other check covers (gzip's
  // own time and OS bytes, deflate padding) are covered by it.
  const bytes = Buffer.concat([FILE_PREFIX, Buffer.alloc(32), head.subarray(10), ...body]);
  (await fileDigest(bytes)).copy(bytes, FILE_PREFIX.length);
  return { bytes, header };
}

/**
 * Reads and checks the bytes of a backup file: gzip, header, length and
 * checksum. Returns the header and the payload bytes; parses nothing else.
 * @throws BackupCorruptError with the reason the file is not a valid backup
 */
export async function decodeBackup(
  bytes: Buffer,
  options: { key?: EncryptionKey; onProgress?: Progress } = {},
): Promise<{ header: BackupHeader; payload: Buffer }> {
  if (bytes.length === 0) throw new BackupCorruptError('empty', 'the file is empty');
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new BackupCorruptError('not-gzip', 'the file is not gzip-compressed');
  }
  let plain: Buffer;
  try {
    plain =
      options.onProgress === undefined
        ? await gunzip(bytes)
        : await gunzipReporting(bytes, options.onProgress);
  } catch (error) {
    throw new BackupCorruptError('truncated', 'the compressed data is cut short or damaged', {
      cause: error,
    });
  }
  const newline = plain.indexOf(0x0a);
  if (newline < 0) throw new BackupCorruptError('bad-header', 'the header line is missing');
  let header: unknown;
  try {
    header = JSON.parse(plain.subarray(0, newline).toString('utf8'));
  } catch (error) {
    throw new BackupCorruptError('bad-header', 'the header is not JSON', { cause: error });
  }
  const h = checkHeader(header);
  const payload =
    h.encryption === undefined
      ? plain.subarray(newline + 1)
      : await decrypt(plain.subarray(newline + 1), h.encryption, options.key);
  if (payload.length !== h.payloadBytes) {
    throw new BackupCorruptError(
      'length-mismatch',
      `the payload has ${payload.length} bytes, the header says ${h.payloadBytes}`,
    );
  }
  const sha256 = await sha256Sliced(payload);
  if (sha256 !== h.sha256) {
    throw new BackupCorruptError('checksum-mismatch', 'the payload does not match its SHA-256');
  }
  await checkFileDigest(bytes);
  return { header: h, payload };
}

/**
 * Checks a backup file like {@link decodeBackup} without holding the
 * decompressed payload: it streams through gunzip and the hash, so checking a
 * large backup in the background neither blocks the loop nor pressures memory.
 * Encrypted payloads are checked by their ciphertext's SHA-256.
 * @throws BackupCorruptError with the reason the file is not a valid backup
 */
export async function verifyBackupBytes(
  bytes: Buffer,
  onProgress?: Progress,
): Promise<BackupHeader> {
  if (bytes.length === 0) throw new BackupCorruptError('empty', 'the file is empty');
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new BackupCorruptError('not-gzip', 'the file is not gzip-compressed');
  }
  const gunzipStream = createGunzip();
  let head: Buffer[] = [];
  let header: BackupHeader | undefined;
  const hash = createHash('sha256');
  let length = 0;
  const done = new Promise<void>((resolve, reject) => {
    gunzipStream.on('data', (chunk: Buffer) => {
      let rest = chunk;
      if (header === undefined) {
        const newline = chunk.indexOf(0x0a);
        if (newline < 0) {
          head.push(chunk);
          return;
        }
        head.push(chunk.subarray(0, newline));
        try {
          header = checkHeader(JSON.parse(Buffer.concat(head).toString('utf8')));
        } catch (error) {
          gunzipStream.destroy(
            error instanceof BackupCorruptError
              ? error
              : new BackupCorruptError('bad-header', 'the header is not JSON', { cause: error }),
          );
          return;
        }
        head = [];
        rest = chunk.subarray(newline + 1);
      }
      hash.update(rest);
      length += rest.length;
    });
    gunzipStream.once('end', resolve);
    gunzipStream.once('error', reject);
  });
  try {
    await Promise.all([feed(gunzipStream, bytes, onProgress), done]);
  } catch (error) {
    if (error instanceof BackupCorruptError) throw error;
    throw new BackupCorruptError('truncated', 'the compressed data is cut short or damaged', {
      cause: error,
    });
  }
  if (header === undefined)
    throw new BackupCorruptError('bad-header', 'the header line is missing');
  const sha256 = hash.digest('hex');
  if (header.encryption !== undefined) {
    if (sha256 !== header.encryption.ciphertextSha256) {
      throw new BackupCorruptError(
        'checksum-mismatch',
        'the encrypted payload does not match its SHA-256',
      );
    }
    await checkFileDigest(bytes);
    return header;
  }
  if (length !== header.payloadBytes) {
    throw new BackupCorruptError(
      'length-mismatch',
      `the payload has ${length} bytes, the header says ${header.payloadBytes}`,
    );
  }
  if (sha256 !== header.sha256) {
    throw new BackupCorruptError('checksum-mismatch', 'the payload does not match its SHA-256');
  }
  await checkFileDigest(bytes);
  return header;
}

/**
 * Reads only the header from the first bytes of a backup file (the header is
 * a gzip member of its own), for quick listings. Checks nothing else.
 * @throws BackupCorruptError when the start of the file holds no valid header
 */
export function readHeader(start: Buffer): BackupHeader {
  if (start.length === 0) throw new BackupCorruptError('empty', 'the file is empty');
  if (start.length < 18 || start[0] !== 0x1f || start[1] !== 0x8b) {
    throw new BackupCorruptError('not-gzip', 'the file is not gzip-compressed');
  }
  const plain = firstMember(start)?.plain ?? partialMember(start);
  const newline = plain.indexOf(0x0a);
  if (newline < 0) throw new BackupCorruptError('bad-header', 'the header line is missing');
  let header: BackupHeader;
  try {
    header = checkHeader(JSON.parse(plain.subarray(0, newline).toString('utf8')));
  } catch (error) {
    if (error instanceof BackupCorruptError) throw error;
    throw new BackupCorruptError('bad-header', 'the header is not JSON', { cause: error });
  }
  if (!hasPrefix(start)) throw alteredFile();
  return header;
}

/**
 * The start of every Keel backup: a gzip member header with no time, OS
 * "unknown" and an extra field (XLEN 36) holding one subfield `KS` of 32
 * bytes, the file's SHA-256 (taken with those 32 bytes zero).
 */
const FILE_PREFIX = Buffer.from([
  0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 36, 0, 0x4b, 0x53, 32, 0,
]);
const ZERO_DIGEST = Buffer.alloc(32);

/** SHA-256 of a backup file with its own digest field taken as zeros; yields to the loop per MiB. */
async function fileDigest(bytes: Buffer): Promise<Buffer> {
  const hash = createHash('sha256');
  const at = FILE_PREFIX.length;
  hash.update(bytes.subarray(0, at));
  hash.update(ZERO_DIGEST);
  const step = 1 << 20;
  for (let from = at + 32; from < bytes.length; from += step) {
    hash.update(bytes.subarray(from, from + step));
    if (from + step < bytes.length) await yieldToLoop();
  }
  return hash.digest();
}

function alteredFile(): BackupCorruptError {
  return new BackupCorruptError('checksum-mismatch', 'the file does not match its SHA-256');
}

/** The file starts with Keel's prefix: the test `readHeader` can make on the first bytes alone. */
function hasPrefix(bytes: Buffer): boolean {
  return bytes.length >= FILE_PREFIX.length + 32 && bytes.compare(FILE_PREFIX, 0, 16, 0, 16) === 0;
}

/** The whole file matches the SHA-256 in its header (checked after every other check). */
async function checkFileDigest(bytes: Buffer): Promise<void> {
  const at = FILE_PREFIX.length;
  if (!hasPrefix(bytes) || !(await fileDigest(bytes)).equals(bytes.subarray(at, at + 32))) {
    throw alteredFile();
  }
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/**
 * The header member alone, decompressed: it ends where the payload member's
 * gzip magic starts, so damage in the payload cannot hide the header.
 * `undefined` when no complete member is found in `bytes`.
 */
function firstMember(bytes: Buffer): { plain: Buffer } | undefined {
  for (let at = bytes.indexOf(GZIP_MAGIC, 18); at > 0; at = bytes.indexOf(GZIP_MAGIC, at + 1)) {
    try {
      return { plain: gunzipSync(bytes.subarray(0, at)) };
    } catch {
      // The magic bytes occurred inside the header member's data: try the next ones.
    }
  }
  return undefined;
}

/** What can be decompressed of a header member whose end was not found. */
function partialMember(start: Buffer): Buffer {
  try {
    return gunzipSync(start, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (error) {
    throw new BackupCorruptError('truncated', 'the header is cut short or damaged', {
      cause: error,
    });
  }
}

/**
 * Parses a verified payload. `JSON.parse` defines a `__proto__` key as a
 * plain own property, so a restored document pollutes no prototype.
 * @throws BackupCorruptError('bad-json') when the payload is not JSON
 */
export function parsePayload(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new BackupCorruptError('bad-json', 'the payload is not JSON', { cause: error });
  }
}

/** Opens an encrypted payload; tells damage (corrupt) from a missing or wrong key. */
async function decrypt(
  ciphertext: Buffer,
  e: BackupEncryption,
  key: EncryptionKey | undefined,
): Promise<Buffer> {
  if ((await sha256Sliced(ciphertext)) !== e.ciphertextSha256) {
    throw new BackupCorruptError(
      'checksum-mismatch',
      'the encrypted payload does not match its SHA-256',
    );
  }
  if (key === undefined) {
    throw new BackupKeyError(
      'this backup is encrypted: give the encryptionKey it was written with',
    );
  }
  let compressed: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', checkKey(key), Buffer.from(e.iv, 'hex'));
    decipher.setAuthTag(Buffer.from(e.tag, 'hex'));
    compressed = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw new BackupKeyError('this backup does not open with the given encryptionKey', {
      cause: error,
    });
  }
  try {
    return await gunzip(compressed);
  } catch (error) {
    throw new BackupCorruptError('truncated', 'the decrypted payload does not decompress', {
      cause: error,
    });
  }
}

/** Called as a long read advances: bytes of the file processed so far, of `total`. */
export type Progress = (done: number, total: number) => void;

/** Writes `bytes` into a stream 1 MiB at a time, reporting progress, then ends it. */
async function feed(
  stream: Gunzip,
  bytes: Buffer,
  onProgress: Progress | undefined,
): Promise<void> {
  const step = 1 << 20;
  for (let at = 0; at < bytes.length; at += step) {
    if (stream.destroyed) return;
    if (!stream.write(bytes.subarray(at, at + step))) await once(stream, 'drain');
    onProgress?.(Math.min(at + step, bytes.length), bytes.length);
  }
  stream.end();
}

/** gunzip through a stream, so a large file's decompression can report progress. */
async function gunzipReporting(bytes: Buffer, onProgress: Progress): Promise<Buffer> {
  const stream = createGunzip();
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  await Promise.all([feed(stream, bytes, onProgress), done]);
  return Buffer.concat(out);
}

/** SHA-256 of a large buffer, 1 MiB at a time, yielding to the event loop in between. */
async function sha256Sliced(bytes: Buffer): Promise<string> {
  const hash = createHash('sha256');
  const step = 1 << 20;
  for (let at = 0; at < bytes.length; at += step) {
    hash.update(bytes.subarray(at, at + step));
    if (at + step < bytes.length) await yieldToLoop();
  }
  return hash.digest('hex');
}

function checkHeader(h: unknown): BackupHeader {
  const x = h as Partial<BackupHeader> | null;
  if (typeof x !== 'object' || x === null || x.format !== BACKUP_FORMAT) {
    throw new BackupCorruptError('wrong-format', 'not a Keel backup');
  }
  if (x.version !== BACKUP_FORMAT_VERSION) {
    throw new BackupCorruptError(
      'wrong-format',
      `backup format version ${String(x.version)} is not supported by this Keel (reads ${BACKUP_FORMAT_VERSION})`,
    );
  }
  const valid =
    typeof x.createdAt === 'string' &&
    !Number.isNaN(Date.parse(x.createdAt)) &&
    Number.isSafeInteger(x.sequence) &&
    (x.sequence as number) >= 0 &&
    typeof x.reason === 'string' &&
    Number.isSafeInteger(x.payloadBytes) &&
    (x.payloadBytes as number) >= 0 &&
    typeof x.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(x.sha256);
  if (!valid) {
    throw new BackupCorruptError('bad-header', 'the header has missing or invalid fields');
  }
  if (
    x.contentType !== undefined &&
    x.contentType !== 'application/json' &&
    x.contentType !== 'application/vnd.sqlite3'
  ) {
    throw new BackupCorruptError('bad-header', 'the header has an unknown contentType');
  }
  const e = x.encryption as Partial<BackupEncryption> | undefined;
  if (
    e !== undefined &&
    (e.algorithm !== 'aes-256-gcm' ||
      !/^[0-9a-f]{24}$/.test(String(e.iv)) ||
      !/^[0-9a-f]{32}$/.test(String(e.tag)) ||
      !/^[0-9a-f]{64}$/.test(String(e.ciphertextSha256)))
  ) {
    throw new BackupCorruptError('bad-header', 'the header has an invalid encryption block');
  }
  return x as BackupHeader;
}
