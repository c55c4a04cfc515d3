import { describe, expect, it } from 'vitest';
import { ExpressRoutes, mountTemplate } from './express-routes.js';

describe('ExpressRoutes', () => {
  it('is the route pattern, under the mount path when there is one', () => {
    const routes = new ExpressRoutes(10);
    expect(routes.of({ route: { path: '/customers/:id' }, baseUrl: '' })).toBe('/customers/:id');
    expect(routes.of({ route: { path: '/:id' }, baseUrl: '/api/customers' })).toBe(
      '/api/customers/:id',
    );
    expect(routes.of({ route: { path: '/' }, baseUrl: '/api/customers' })).toBe('/api/customers');
    expect(routes.of({ baseUrl: '/api' })).toBeUndefined();
  });

  it('keeps the pattern object itself as the cache key when nothing is mounted', () => {
    const re = /^\/files\/.*$/;
    expect(new ExpressRoutes(10).of({ route: { path: re } })).toBe(re);
  });

  it('caches at most maxTemplates templates, and still names the others', () => {
    const routes = new ExpressRoutes(1);
    const a = routes.of({ route: { path: '/:id' }, baseUrl: '/a' });
    expect(routes.of({ route: { path: '/:id' }, baseUrl: '/a' })).toBe(a);
    expect(routes.of({ route: { path: '/:id' }, baseUrl: '/b' })).toBe('/b/:id');
  });
});

describe('mountTemplate', () => {
  it.each([
    ['/api/v1/customers', '/api/v1/customers'],
    ['/tenants/42/invoices', '/tenants/:param/invoices'],
    ['/tenants/42', '/tenants/:param'],
    ['/1/2', '/:param/:param'],
    ['/t/3f2a9c1e-0d4b-4c6e-9a8f-1b2c3d4e5f60', '/t/:param'],
    ['/objects/64b7f0c2a1e4d3b2c1a09f8e', '/objects/:param'],
    ['/s/01HZX3K9Q7V2M8N4P6R5T0W1Y2', '/s/:param'],
    ['/reports/2024/q1', '/reports/:param/q1'],
    ['/v2/users', '/v2/users'],
    ['', ''],
  ])('%s → %s', (baseUrl, template) => {
    expect(mountTemplate(baseUrl)).toBe(template);
  });
});
