/**
 * @module test/unit/layout/layering.test
 * The layering of src/, as the README's "Architecture" section states it, checked on the
 * code itself: cli → runtime → {proxy, health, resilience, config, admin, backup, log} →
 * balancer → core. An import may only go down or sideways among the feature folders, the
 * feature folders import each other without a circle, and no two files import each other
 * through any chain, type-only imports included (a type cycle is still a cycle: it is the
 * first step to a value one, and it ties two files that should change apart).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Rank of each top-level room: an import must go to a rank no higher than its own. */
const RANK: Record<string, number> = {
  'index.ts': 5,
  cli: 4,
  runtime: 3,
  proxy: 2,
  health: 2,
  resilience: 2,
  config: 2,
  admin: 2,
  backup: 2,
  log: 2,
  balancer: 1,
  core: 0,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative module a file imports: static, type-only, re-exports and dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.[^'"]+)\1/gm)].map((m) => m[2]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s.replace(/\.js$/, '.ts'))));
}

/** The room a file lives in; backup/agent is a room of its own above the storage library. */
function room(file: string): string {
  if (file.startsWith('backup/agent/')) return 'backup/agent';
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file;
}
const rank = (r: string): number => RANK[r.split('/')[0]!] ?? -1;

const files = sources(SRC).map((f) => relative(SRC, f));
const graph = new Map(files.map((f) => [f, importsOf(join(SRC, f))]));

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      on.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('src/ layering', () => {
  it('finds the sources and resolves every relative import to a file', () => {
    expect(files.length).toBeGreaterThan(50);
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${f} → ${d}`));
    expect(missing).toEqual([]);
  });

  it('knows every top-level room', () => {
    expect(files.map(room).filter((r) => rank(r) < 0)).toEqual([]);
  });

  it('has no upward import', () => {
    const upward = [...graph].flatMap(([f, deps]) => deps.filter((d) => rank(room(d)) > rank(room(f))).map((d) => `${f} → ${d}`));
    expect(upward).toEqual([]);
  });

  it('has no cycle between rooms (feature rooms may use each other, one way only)', () => {
    const rooms = new Map<string, string[]>();
    for (const [f, deps] of graph) {
      const r = room(f);
      const to = rooms.get(r) ?? [];
      for (const d of deps) if (room(d) !== r && !to.includes(room(d))) to.push(room(d));
      rooms.set(r, to);
    }
    expect(cycles(rooms)).toEqual([]);
  });

  it('has no cycle between files, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps core/ free of every other room', () => {
    const out = [...graph].filter(([f]) => room(f) === 'core').flatMap(([f, deps]) => deps.filter((d) => room(d) !== 'core').map((d) => `${f} → ${d}`));
    expect(out).toEqual([]);
  });
});
