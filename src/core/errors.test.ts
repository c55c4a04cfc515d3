import { describe, expect, it } from 'vitest';
import {
  CapacityExceededError,
  isCapacityExceededError,
  isKeelError,
  KeelError,
} from './errors.js';

describe('errors', () => {
  it('carry name, literal code and a message that says what to do', () => {
    const e = new CapacityExceededError('customers', 1000, 1001);
    expect(e).toBeInstanceOf(KeelError);
    expect(e).toMatchObject({ name: 'CapacityExceededError', code: 'KEEL_CAPACITY_EXCEEDED' });
    expect(e.message).toMatch(/raise the limit/);
    expect(isCapacityExceededError(e)).toBe(true);
    expect(isKeelError(e)).toBe(true);
  });

  it('guards recognise errors from a second copy of the package, by code', () => {
    class Foreign extends Error {
      readonly code = 'KEEL_CAPACITY_EXCEEDED';
    }
    expect(isCapacityExceededError(new Foreign('x'))).toBe(true);
    expect(isKeelError(new Foreign('x'))).toBe(true);
  });

  it.each([
    [new Error('plain')],
    [{ code: 'KEEL_CAPACITY_EXCEEDED' }],
    [null],
    ['KEEL_CAPACITY_EXCEEDED'],
  ])('guards reject %o as a Keel error', (value) => {
    expect(isKeelError(value)).toBe(false);
  });
});
