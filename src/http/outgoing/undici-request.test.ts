import { describe, expect, it } from 'vitest';
import { undiciHasHeader, undiciRequestInfo } from './undici-request.js';

describe('undici requests', () => {
  it('finds a header in undici 6 arrays and undici 5 text, in any case', () => {
    expect(undiciHasHeader(['accept', '*/*', 'X-Keel-Internal', '1'], 'x-keel-internal')).toBe(
      true,
    );
    expect(undiciHasHeader(['accept', 'x-keel-internal'], 'x-keel-internal')).toBe(false);
    expect(undiciHasHeader('accept: */*\r\nX-KEEL-INTERNAL: 1\r\n', 'x-keel-internal')).toBe(true);
    expect(undiciHasHeader('x-keel-internal: 1\r\n', 'x-keel-internal')).toBe(true);
    expect(undiciHasHeader('accept: x-keel-internal:\r\n', 'x-keel-internal')).toBe(false);
    expect(undiciHasHeader(undefined, 'x-keel-internal')).toBe(false);
  });

  it('takes protocol and host from a string or URL origin', () => {
    const info = (origin: unknown) => undiciRequestInfo({ origin, method: 'GET', path: '/' });
    expect(info('https://api.stripe.com')).toMatchObject({
      protocol: 'https:',
      host: 'api.stripe.com',
    });
    expect(info('http://127.0.0.1:8080/')).toMatchObject({
      protocol: 'http:',
      host: '127.0.0.1:8080',
    });
    expect(info(new URL('https://example.com:8443/x'))).toMatchObject({
      protocol: 'https:',
      host: 'example.com:8443',
    });
  });
});
