export type { OperationReport, PerformanceReport, ReportInput } from './performance-report.js';
export { buildReport } from './performance-report.js';
export type { ReportSources } from './reporter.js';
export { Reporter } from './reporter.js';
export type { SystemHealth, SystemHealthInput } from './system-health.js';
export { systemHealth } from './system-health.js';
