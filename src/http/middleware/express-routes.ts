/** What Express (4 and 5) leaves on a request once a route handled it. */
export interface ExpressRoutedRequest {
  readonly route?: { readonly path?: unknown } | undefined;
  readonly baseUrl?: string | undefined;
}

/** What a value segment of a mount path is replaced with. */
export const MOUNT_PARAM = ':param';

/** Whether a path segment (`path[from, to)`) is a value, not a name: all digits, or 16+ characters with a digit (UUIDs, hex ids, tokens). */
function isValueSegment(path: string, from: number, to: number): boolean {
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = path.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  return digits > 0 && (digits === to - from || to - from >= 16);
}

/**
 * A mount path with its value-like segments replaced by {@link MOUNT_PARAM}
 * (`/tenants/42/invoices` → `/tenants/:param/invoices`); the same string
 * when it has none.
 */
export function mountTemplate(baseUrl: string): string {
  let out: string | undefined;
  let kept = 0;
  let from = 0;
  while (from <= baseUrl.length) {
    let to = baseUrl.indexOf('/', from);
    if (to < 0) to = baseUrl.length;
    if (to > from && isValueSegment(baseUrl, from, to)) {
      out = (out ?? '') + baseUrl.slice(kept, from) + MOUNT_PARAM;
      kept = to;
    }
    from = to + 1;
  }
  return out === undefined ? baseUrl : out + baseUrl.slice(kept);
}

/**
 * The route templates of Express requests: the matched route's pattern
 * (`req.route.path`) under its router's mount path (`req.baseUrl`), or
 * `undefined` when no route matched. Express keeps the mount path only as
 * matched, so its value-like segments become `:param`; name other mounts
 * with a `route` option. Templates are cached per mount and pattern (at
 * most `maxTemplates`), so a routed request builds no string.
 */
export class ExpressRoutes {
  readonly #byMount = new Map<string, Map<unknown, string>>();
  readonly #maxTemplates: number;
  #size = 0;

  constructor(maxTemplates: number) {
    this.#maxTemplates = maxTemplates;
  }

  /** The template of `req`: the pattern object itself when nothing is mounted, else a cached string. */
  of(req: ExpressRoutedRequest): unknown {
    const path = req.route?.path;
    if (path === undefined) return undefined;
    const base = req.baseUrl;
    if (base === undefined || base === '') return path;
    const mount = mountTemplate(base);
    let paths = this.#byMount.get(mount);
    const cached = paths?.get(path);
    if (cached !== undefined) return cached;
    const template =
      path === '/' ? mount : mount + (typeof path === 'string' ? path : String(path));
    if (this.#size < this.#maxTemplates) {
      if (paths === undefined) {
        paths = new Map();
        this.#byMount.set(mount, paths);
      }
      paths.set(path, template);
      this.#size++;
    }
    return template;
  }
}
