/**
 * The Prometheus text exposition format 0.0.4 and OpenMetrics 1.0: names,
 * escaping and numbers. Every string that comes from the application (label
 * values, help texts) goes through the escapes here.
 */

/** Content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of OpenMetrics 1.0. */
export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Which format: `prometheus` (0.0.4) or `openmetrics` (1.0). */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/**
 * The format an `Accept` header asks for: OpenMetrics when it names
 * `application/openmetrics-text` with a q above that of plain text, else 0.0.4.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || !accept.includes('application/openmetrics-text')) {
    return 'prometheus';
  }
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const weight = Number.isFinite(q) ? q : 0;
    const t = type.trim().toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, weight);
    else if (t === 'text/plain' || t === '*/*') text = Math.max(text, weight);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'prometheus';
}

/** A label value escaped for both formats: backslash, double quote, line feed. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A HELP text escaped: backslash and line feed (and, in OpenMetrics, double quote). */
export function escapeHelp(help: string, format: ExpositionFormat): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}

/** A sample value as both formats write it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/** `{a="x",b="y"}` from label pairs (names are trusted, values escaped); `''` for none. */
export function labelSet(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  let out = '{';
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i]!;
    if (i > 0) out += ',';
    out += `${name}="${escapeLabelValue(value)}"`;
  }
  return `${out}}`;
}

/** Adds a label to a rendered label set: `{a="x"}` + le → `{a="x",le="0.2"}`. */
export function withLabel(set: string, name: string, value: string): string {
  const pair = `${name}="${escapeLabelValue(value)}"`;
  return set === '' ? `{${pair}}` : `${set.slice(0, -1)},${pair}}`;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'stateset' | 'info';

/**
 * Writes one exposition: a family's HELP/TYPE (and UNIT in OpenMetrics),
 * then its samples. Counters are named without `_total` and their samples
 * with it, as OpenMetrics requires (0.0.4 names the family with `_total`).
 */
export class ExpositionWriter {
  readonly format: ExpositionFormat;
  readonly #parts: string[] = [];
  readonly #families = new Set<string>();

  constructor(format: ExpositionFormat) {
    this.format = format;
  }

  /**
   * Starts a family. `name` is its base name (a counter's without `_total`).
   * @returns false when a family of that name was already written (its samples must be skipped)
   */
  family(name: string, type: MetricType, help: string): boolean {
    if (this.#families.has(name)) return false;
    this.#families.add(name);
    const om = this.format === 'openmetrics';
    // 0.0.4 knows no stateset or info: they are gauges there.
    const shown = !om && (type === 'stateset' || type === 'info') ? 'gauge' : type;
    // A counter's family is named without `_total` in OpenMetrics, an info's without `_info`.
    const headerName =
      !om && type === 'counter'
        ? `${name}_total`
        : om && type === 'info'
          ? name.replace(/_info$/, '')
          : name;
    const unit = om ? unitOf(name) : undefined;
    this.#parts.push(
      `# HELP ${headerName} ${escapeHelp(help, this.format)}\n# TYPE ${headerName} ${shown}\n${
        unit === undefined ? '' : `# UNIT ${name} ${unit}\n`
      }`,
    );
    return true;
  }

  /** One sample line; `labels` is a rendered label set from {@link labelSet}. */
  sample(name: string, labels: string, value: number): void {
    this.#parts.push(`${name}${labels} ${formatValue(value)}\n`);
  }

  /** Text already in the format (a cached block of samples). */
  raw(text: string): void {
    this.#parts.push(text);
  }

  /** The whole exposition (OpenMetrics ends with `# EOF`). */
  end(): string {
    if (this.format === 'openmetrics') this.#parts.push('# EOF\n');
    return this.#parts.join('');
  }
}

/** The OpenMetrics unit of a family named after it (`…_seconds`, `…_bytes`, `…_ratio`). */
function unitOf(name: string): string | undefined {
  const m = /_(seconds|bytes|ratio)$/.exec(name);
  return m?.[1];
}
