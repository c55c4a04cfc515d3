import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BackupStore } from '../src/backup/index.js';

const child = fileURLToPath(new URL('./fixtures/backup-loop.mjs', import.meta.url));
/** 200 in CI as the issue asks; KEEL_CRASH_TRIALS raises it. */
const TRIALS = Number(process.env.KEEL_CRASH_TRIALS ?? 200);

function stateOf(n: number) {
  return { n, rows: Array.from({ length: 50 + (n % 7) * 400 }, (_, i) => ({ i, v: `${n}-${i}` })) };
}

/** Runs the loop, SIGKILLs it after `delayMs` past its first acknowledgement; returns the last acked n. */
function runAndKill(dir: string, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    let buffer = '';
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /^ACK (\d+) /.exec(line);
        if (m) acked = Number(m[1]);
      }
      timer ??= setTimeout(() => p.kill('SIGKILL'), delayMs);
    });
    p.on('error', reject);
    p.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(acked);
    });
  });
}

describe('backups survive SIGKILL at any moment', () => {
  it(`${TRIALS} random kills: every listed backup verifies, the newest restores what was acknowledged`, async () => {
    const root = await fs.mkdtemp(join(tmpdir(), 'keel-crash-'));
    let seed = 12345;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const dir = join(root, `t${trial}`);
        const acked = await runAndKill(dir, Math.floor(random() * 40));
        const store = new BackupStore({ dir });
        const { valid, corrupt } = await store.verify('full');
        expect(corrupt).toEqual([]);
        expect(valid.length).toBeGreaterThanOrEqual(acked);
        const latest = await store.restoreLatest();
        const n = (latest.data as { n: number }).n;
        // Killed after the rename but before the acknowledgement: one more than acked.
        expect(n === acked || n === acked + 1).toBe(true);
        expect(latest.data).toEqual(stateOf(n));
        // Temp files of the interrupted write are never taken for a backup.
        const listed = new Set((await store.list()).map((b) => `${b.id}.json.gz`));
        for (const name of await fs.readdir(dir)) {
          if (name.endsWith('.tmp')) expect(listed.has(name)).toBe(false);
        }
        await fs.rm(dir, { recursive: true, force: true });
      }
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  }, 600_000);
});
