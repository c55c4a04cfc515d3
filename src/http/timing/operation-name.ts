import { MAX_NAME_LENGTH } from '../../core/index.js';

/**
 * `target` cut so that `METHOD target` fits in an operation name (and a
 * label value): both are at most 200 characters.
 */
export function fitTarget(method: string, target: string): string {
  const room = MAX_NAME_LENGTH - method.length - 1;
  return target.length <= room ? target : target.slice(0, room);
}
