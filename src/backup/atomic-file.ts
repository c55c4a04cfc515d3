import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';

/** The file-system calls an atomic write makes; inject faulty ones in tests. */
export type AtomicWriteFs = Pick<typeof nodeFs, 'open' | 'rename' | 'unlink'>;

/**
 * Writes `bytes` to `path` so that a crash or a failure never leaves it
 * half-written: a 0600 temp file (beside it unless `temp` names one) →
 * write → fsync → close → rename. The caller fsyncs the directory if the
 * rename must survive a power loss.
 * @throws the file system's error; the temp file is removed
 */
export async function writeFileAtomic(
  path: string,
  bytes: Buffer,
  options: { fs?: AtomicWriteFs; temp?: string } = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const temp = options.temp ?? `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, path);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
}
