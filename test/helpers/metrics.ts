/**
 * @module test/helpers/metrics
 * Scrapes an admin listener's /metrics and parses the Prometheus text format (0.0.4)
 * into samples, so tests assert exact series values.
 */
import type http from 'node:http';
import { expect } from 'vitest';
import { send } from './net.js';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One sample line: name, optional {labels}, value (timestamps are not used by prom-client). */
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

export class Scrape {
  constructor(readonly samples: readonly Sample[]) {}

  /** Every sample of `name` whose labels include `labels`. */
  series(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** The value of the one sample of `name` with exactly these labels; fails when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    const keys = Object.keys(labels).sort().join(',');
    const hits = this.series(name, labels).filter((s) => Object.keys(s.labels).sort().join(',') === keys);
    expect(hits, `${name}${JSON.stringify(labels)}`).toHaveLength(1);
    return hits[0]!.value;
  }
}

/** Scrapes until `pred` holds (a hang guard, 10 s by default: the suite runs on a loaded machine). */
export async function waitScrape(adminUrl: string, pred: (s: Scrape) => boolean, what: string, headers: http.OutgoingHttpHeaders = {}, timeoutMs = 10_000): Promise<Scrape> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(adminUrl, headers);
    if (pred(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET /metrics; fails unless it answers 200 in the Prometheus text format. */
export async function scrape(adminUrl: string, headers: http.OutgoingHttpHeaders = {}): Promise<Scrape> {
  const r = await send(adminUrl, { path: '/metrics', headers });
  expect(r.status, r.text).toBe(200);
  expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return new Scrape(parseMetrics(r.text));
}
