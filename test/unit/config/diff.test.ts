/**
 * @module test/unit/config/diff.test
 * The reload plan (config/diff, core/reload-plan): which upstream parts a reload keeps and
 * which it rebuilds, what becomes of each server, which upstreams retire, the settings
 * that need a restart (reported, kept at their running values), and the notes, which name
 * each changed key with its old and new value.
 */
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/index.js';
import type { UpstreamPlan } from '../../../src/core/reload-plan.js';
import { upstreamWith, valid, yamlWith } from './fixtures.js';

const O1 = { name: 'o1', url: 'http://127.0.0.1:3001' };
const O2 = { name: 'o2', url: 'http://127.0.0.1:3002' };
const O3 = { name: 'o3', url: 'http://127.0.0.1:3003' };
const KEEP_ALL = { pools: true, scheduler: true, sticky: true, faultTolerance: true };

/** The plan from `web` with `before` merged in to `web` with `after`. */
function plan(before: Record<string, unknown>, after: Record<string, unknown>) {
  return diffConfig(valid(upstreamWith(before)), valid(upstreamWith(after)));
}
const web = (p: ReturnType<typeof plan>): UpstreamPlan => p.upstreams.get('web')!;

describe('reload plan', () => {
  it('keeps everything and notes nothing when only the text changed', () => {
    const p = plan({ servers: [O1, O2] }, { servers: [O1, O2] });
    expect(p).toMatchObject({ changed: false, restartRequired: [], listenChanged: false, retired: [], routesChanged: false, summary: [] });
    expect(web(p)).toEqual({ name: 'web', servers: new Map([['o1', 'keep'], ['o2', 'keep']]), removed: [], keep: KEEP_ALL });
  });

  it('updates a server whose weight or backup changed, in place, and says from what to what', () => {
    const p = plan({ servers: [O1, O2] }, { servers: [{ ...O1, weight: 3 }, { ...O2, backup: true }] });
    expect(web(p).servers).toEqual(new Map([['o1', 'update'], ['o2', 'update']]));
    expect(web(p).keep).toEqual(KEEP_ALL);
    expect(p.summary).toEqual(['upstream web: o1: weight 1 → 3', 'upstream web: o2: backup false → true']);
  });

  it('replaces a server whose URL changed; adds and retires servers by name', () => {
    const p = plan({ servers: [O1, O2] }, { servers: [{ ...O1, url: 'http://127.0.0.1:3009', weight: 2 }, O3] });
    expect(web(p).servers).toEqual(new Map([['o1', 'replace'], ['o3', 'add']]));
    expect(web(p).removed).toEqual(['o2']);
    expect(p.summary).toEqual([
      'upstream web: o1: url http://127.0.0.1:3001 → http://127.0.0.1:3009, weight 1 → 2',
      'upstream web: o3 added',
      'upstream web: o2 removed',
    ]);
  });

  it('notes a change of order alone, which keeps every server', () => {
    const p = plan({ servers: [O1, O2] }, { servers: [O2, O1] });
    expect(p.changed).toBe(true);
    expect(web(p).servers).toEqual(new Map([['o2', 'keep'], ['o1', 'keep']]));
    expect(p.summary).toEqual(['upstream web: servers reordered: o2, o1']);
  });

  it.each([
    ['pools', { keep_alive: '10s' }, ['upstream web: keep_alive 4s → 10s']],
    ['pools', { connections: 8, timeouts: { connect: '1500ms' } }, ['upstream web: connections 128 → 8', 'upstream web: timeouts.connect 2s → 1500ms']],
    ['scheduler', { scheduler: 'least-connections' }, ['upstream web: scheduler round-robin → least-connections']],
    ['scheduler', { scheduler: 'consistent-hash', hash_key: 'header:x-user' }, ['upstream web: scheduler round-robin → consistent-hash', 'upstream web: hash_key added']],
    ['sticky', { sticky: { mode: 'ip', ttl: '1m' } }, ['upstream web: sticky.ttl 30m → 1m']],
    ['faultTolerance', { slow_start: '30s' }, ['upstream web: slow_start 0ms → 30s']],
    ['faultTolerance', { health_check: { interval: '5s' } }, ['upstream web: health_check.interval 2s → 5s']],
  ] as const)('rebuilds %s for %j, keeping the other parts', (part, change, notes) => {
    const base = { servers: [O1], sticky: { mode: 'ip' }, health_check: {} };
    const p = plan(base, { ...base, ...change, health_check: { ...base.health_check, ...('health_check' in change ? change.health_check : {}) } });
    expect(web(p).keep).toEqual({ ...KEEP_ALL, [part]: false });
    expect(web(p).servers).toEqual(new Map([['o1', 'keep']]));
    expect(p.summary).toEqual(notes);
  });

  it('names a settings block that was added or removed, not each of its keys', () => {
    expect(plan({ servers: [O1] }, { servers: [O1], circuit_breaker: { max_concurrent: 10 } }).summary).toEqual(['upstream web: circuit_breaker added']);
    expect(plan({ servers: [O1], retries: { attempts: 2 } }, { servers: [O1] }).summary).toEqual(['upstream web: retries removed']);
  });

  it('builds an added upstream anew and retires a removed one', () => {
    const running = valid(yamlWith({ upstreams: { old: { servers: [O2] } } }));
    const next = valid(yamlWith({ upstreams: { api: { servers: [O3] } }, routes: [{ upstream: 'api', match: { path_prefix: '/api' } }, { upstream: 'web' }] }));
    const p = diffConfig(running, next);
    expect(p.upstreams.get('api')).toEqual({ name: 'api', servers: new Map([['o3', 'add']]), removed: [], keep: { pools: false, scheduler: false, sticky: false, faultTolerance: false } });
    expect(p.upstreams.get('web')?.keep).toEqual(KEEP_ALL);
    expect(p.retired).toEqual(['old']);
    expect(p.routesChanged).toBe(true);
    expect(p.summary).toEqual(['upstream api added', 'upstream old removed', 'routes changed']);
  });

  it('keeps the running value of each setting that needs a restart, and applies the rest', () => {
    const running = valid(yamlWith({ admin: { listen: '127.0.0.1:9901' }, front: { max_header_size: '16kb' } }));
    const next = valid(yamlWith({ admin: { listen: '127.0.0.1:9902', token_env: 'TOKEN' }, front: { max_header_size: '4kb', max_body_size: '1mb' }, listen: '127.0.0.1:8081' }));
    const p = diffConfig(running, next);
    expect(p.restartRequired).toEqual(['admin.listen', 'admin.token_env', 'front.max_header_size']);
    expect(p.config.admin).toEqual(running.admin);
    expect(p.config.front).toEqual({ ...next.front, max_header_size: running.front.max_header_size });
    expect(p.config.listen).toEqual(next.listen);
    expect(p.listenChanged).toBe(true);
    expect(p.summary).toEqual([
      'admin.listen changed: needs a restart to take effect',
      'admin.token_env changed: needs a restart to take effect',
      'front.max_header_size changed: needs a restart to take effect',
      'listen addresses changed',
      'front limits or timeouts changed',
    ]);
  });

  it('changes nothing to apply when only a restart setting changed back to its running value', () => {
    const running = valid(yamlWith({ front: { max_header_size: '16kb' } }));
    const p = diffConfig(running, valid(yamlWith({ front: { max_header_size: '4kb' } })));
    expect(p.changed).toBe(true);
    expect(p.config).toEqual(running);
    expect(p.summary).toEqual(['front.max_header_size changed: needs a restart to take effect']);
  });
});
