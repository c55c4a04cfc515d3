#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { keelVersion } from '../core/index.js';
import { backupCommand } from './backup.js';
import { runDemo } from './demo.js';
import { parseDuration } from './duration.js';

const USAGE = `Usage: keel <command> [options]

Commands:
  demo       Run the bookkeeping example under load with a live table,
             then print the performance report.
             --duration <time>   stop after e.g. 10s, 2m (default: until Ctrl-C)
             --users <n>         simulated users (default 8)
             --refresh <time>    table refresh period (default 1s)
             --backup-dir <dir>  where the demo backs its state up (default keel-data/backups)
             --port <n>          Keel's HTTP server on 127.0.0.1 (default 9464; 0: any free port)
             --no-serve          no HTTP server
             --no-color          plain text
  backup     list | verify | restore | prune the backups in --dir <dir>
             (keel backup --help for the options)

Options:
  -h, --help     show this help
  -v, --version  show Keel's version
`;

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string' },
      users: { type: 'string' },
      refresh: { type: 'string' },
      'backup-dir': { type: 'string' },
      port: { type: 'string' },
      'no-serve': { type: 'boolean' },
      'no-color': { type: 'boolean' },
    },
    strict: true,
  });
  const users = values.users === undefined ? 8 : Number(values.users);
  if (!Number.isSafeInteger(users) || users < 1 || users > 1000) {
    throw new RangeError(`--users must be an integer from 1 to 1000, got "${values.users}"`);
  }
  const port = values.port === undefined ? 9464 : Number(values.port);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    await runDemo({
      ...(values.duration === undefined
        ? {}
        : { durationMs: parseDuration(values.duration, '--duration') }),
      refreshMs: values.refresh === undefined ? 1000 : parseDuration(values.refresh, '--refresh'),
      concurrency: users,
      ...(values['backup-dir'] === undefined ? {} : { backupDir: values['backup-dir'] }),
      port: values['no-serve'] === true ? null : port,
      signal: controller.signal,
      out: process.stdout,
      style: {
        color:
          process.stdout.isTTY === true && values['no-color'] !== true && !process.env.NO_COLOR,
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo(rest);
    case 'backup':
      return backupCommand(rest, process.stdout, process.stderr);
    case '-v':
    case '--version':
      process.stdout.write(`${keelVersion()}\n`);
      return 0;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`keel: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`keel: ${message}\n`);
    process.exitCode = 1;
  },
);
