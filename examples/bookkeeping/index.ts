export type { LoadOptions, LoadSummary } from './load.js';
export { runLoad } from './load.js';
export type { BookkeepingOptions, Customer, Invoice, Random, Transaction } from './service.js';
export { BookkeepingService, logNormal, ServiceError } from './service.js';
