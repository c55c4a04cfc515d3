/**
 * The seed's usage example, in TypeScript. Run it with
 * `npm run build && node dist/examples/quick-start.js`.
 * (Outside this repository, import from 'keel' instead of '../src/index.js'.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PerformanceMonitor } from '../src/index.js';

async function processTransaction(): Promise<void> {
  await sleep(5);
}

const monitor = new PerformanceMonitor();

// Register a session
monitor.registerSession('user_session_123');

// Measure operation performance (sync or async; failures are recorded and rethrown)
for (let i = 0; i < 25; i++) {
  await monitor.measureOperation('transaction_entry', () => processTransaction(), { kind: 'db' });
}

// Or with a Disposable timer
{
  using timer = monitor.startTimer('transaction_entry');
  await processTransaction();
  timer.success();
}

// Track scalability metrics
monitor.trackTransaction();
monitor.trackCustomer();

// Get system health
const health = monitor.getSystemHealth();
console.log(`Status: ${health.status}`);
console.log(`Avg response time: ${health.avgResponseTimeMs.toFixed(1)}ms`);
console.log(`P95 response time: ${health.p95ResponseTimeMs.toFixed(1)}ms`);
console.log(`Error rate: ${(health.errorRate * 100).toFixed(2)}%`);

// Get performance report
const report = monitor.getPerformanceReport();
console.log(`Meeting targets: ${report.meetingTargets}`);
for (const recommendation of report.recommendations) {
  console.log(`⚠️ ${recommendation}`);
}

// Cleanup
monitor.unregisterSession('user_session_123');
await monitor.close();
