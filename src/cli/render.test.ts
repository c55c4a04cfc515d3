import { describe, expect, it } from 'vitest';
import { PerformanceMonitor } from '../monitor.js';
import { renderReport, safeText, table } from './render.js';

function report(name = 'post_transaction') {
  const monitor = new PerformanceMonitor({ clock: { now: () => 0 } });
  for (let i = 0; i < 30; i++) monitor.recordOperation(name, 300, { kind: 'db' });
  const text = (color: boolean) =>
    renderReport(monitor.getPerformanceReport(), monitor.getSystemHealth(), { color });
  return { monitor, text };
}

describe('render', () => {
  it('colours verdicts on a terminal and prints plain text otherwise', async () => {
    const { monitor, text } = report();
    expect(text(true)).toContain('\x1b[31m✗ P95 > 200 ms');
    expect(text(false)).not.toContain('\x1b[');
    expect(text(false)).toMatch(
      /post_transaction\s+db\s+30\s+300 ms\s+300 ms\s+300 ms\s+0%\s+100%\s+✗ P95 > 200 ms/,
    );
    await monitor.close();
  });

  it('prints user-given names as text: control characters cannot move the cursor or recolour', async () => {
    const { monitor, text } = report('evil\x1b[2J\x1b[31mname\nnext');
    expect(text(false)).not.toContain('\x1b');
    expect(text(false)).toContain('evil?[2J?[31mname?next');
    expect(safeText('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
    await monitor.close();
  });

  it('aligns columns by visible width, ignoring colour codes', () => {
    const lines = table(
      ['A', 'B'],
      [
        ['\x1b[31mred\x1b[0m', '1'],
        ['plain', '22'],
      ],
      new Set([1]),
    );
    const plain = (l: string) => l.split('\x1b[31m').join('').split('\x1b[0m').join('');
    expect(lines.map(plain)).toEqual(['A       B', '─────  ──', 'red     1', 'plain  22']);
  });
});

describe('progress bar', () => {
  it('draws on a terminal and stays silent otherwise', async () => {
    const { progressBar } = await import('./backup.js');
    let written = '';
    const write = (s: string) => {
      written += s;
      return true;
    };
    const tty = { isTTY: true, write } as unknown as NodeJS.WritableStream & { isTTY: boolean };
    const bar = progressBar(tty)!;
    bar(0, 4);
    bar(2, 4);
    bar(4, 4);
    expect(written).toContain('\r[###############...............] 2/4');
    expect(written.endsWith('] 4/4\n')).toBe(true);
    expect(progressBar({ write: () => true } as unknown as NodeJS.WritableStream)).toBeUndefined();
  });

  it('counts bytes in MiB and finishes its line once', async () => {
    const { progressBar } = await import('./backup.js');
    let written = '';
    const tty = {
      isTTY: true,
      write: (s: string) => {
        written += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream & { isTTY: boolean };
    const bar = progressBar(tty, 'bytes')!;
    bar(1_048_576, 4_194_304);
    bar(4_194_304, 4_194_304);
    bar(4_194_304, 4_194_304); // a second candidate after a corrupt one: no new line
    expect(written).toContain('1.0 MiB/4.0 MiB');
    expect(written.match(/\n/g)).toHaveLength(1);
  });
});
