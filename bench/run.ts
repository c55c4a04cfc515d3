/**
 * Benchmark dispatcher: `node --expose-gc dist/bench/run.js <suite> [--json]`.
 * With `--json`, stdout is exactly one JSON document; progress goes to stderr.
 */

import { backupSuite } from './backup/suite.js';
import { healthSuite } from './health/suite.js';
import { httpSuite } from './http/suite.js';
import type { Suite } from './lib/suite.js';
import { metricsSuite } from './metrics/index.js';
import { recoverySuite } from './recovery/suite.js';

const SUITES: Readonly<Record<string, Suite>> = {
  [metricsSuite.name]: metricsSuite,
  [backupSuite.name]: backupSuite,
  [recoverySuite.name]: recoverySuite,
  [healthSuite.name]: healthSuite,
  [httpSuite.name]: httpSuite,
};

function usage(problem: string): string {
  const lines = [
    problem,
    '',
    'usage: npm run bench -- [suite ...] [--json] [suite flags]   (no suite: all suites)',
    '',
    'suites:',
  ];
  for (const s of Object.values(SUITES)) {
    lines.push(`  ${s.name.padEnd(10)} ${s.description}`);
    for (const [flag, what] of Object.entries(s.flags ?? {}))
      lines.push(`    ${flag.padEnd(10)} ${what}`);
  }
  lines.push('', '  --json     print one JSON document {"suite", "config", "results"} on stdout');
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const positional = argv.filter((a) => !a.startsWith('--'));
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const unknownSuites = positional.filter((n) => !Object.hasOwn(SUITES, n));
  if (unknownSuites.length > 0) {
    process.stderr.write(`${usage(`unknown suite: ${unknownSuites.join(' ')}`)}\n`);
    return 2;
  }
  // No suite named: every suite, one JSON document (or table) each.
  const suites =
    positional.length === 0 ? Object.values(SUITES) : positional.map((n) => SUITES[n]!);
  const json = flags.delete('--json');
  for (const suite of suites) {
    const unknown = [...flags].filter((f) => suite.flags?.[f] === undefined);
    if (unknown.length > 0 && suites.length === 1) {
      process.stderr.write(`${usage(`unknown flag for ${suite.name}: ${unknown.join(' ')}`)}\n`);
      return 2;
    }
  }
  for (const suite of suites) {
    const result = await suite.run({
      log: (message) => process.stderr.write(`${message}\n`),
      flags: new Set([...flags].filter((f) => suite.flags?.[f] !== undefined)),
    });
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${suite.format(result)}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
