/**
 * @module test/unit/runtime/demo-monitor.test
 * The demo's lines for a person: one per flag set or cleared, then every server's state;
 * servers a reload brings are followed once `watch` runs again, and none twice.
 */
import { describe, expect, it } from 'vitest';
import { Server } from '../../../src/core/server.js';
import { clockTime, FlagMonitor, type ServerSource } from '../../../src/runtime/demo/monitor.js';

function source(upstreams: Record<string, Server[]>): ServerSource & { upstreams: Map<string, { servers: { all: Server[] } }> } {
  const map = new Map(Object.entries(upstreams).map(([name, all]) => [name, { servers: { all } }]));
  return { upstreams: map, proxy: { state: { upstreams: map } } };
}
const server = (upstream: string, name: string): Server => new Server({ upstream, name, origin: 'http://127.0.0.1:1', weight: 1 });
const AT = new Date(2026, 0, 2, 13, 4, 5).getTime();

describe('FlagMonitor', () => {
  it('prints each flag change with its reason, then the state of every server', () => {
    const [a, b] = [server('web', 'a'), server('web', 'b')];
    const lines: string[] = [];
    const monitor = new FlagMonitor(source({ web: [a, b] }), (l) => lines.push(l));
    monitor.watch();
    monitor.watch();
    b.setFlag('failed_health_check', '2 consecutive check failures: connect ECONNREFUSED', AT);
    b.setFlag('ejected', '5 consecutive 5xx; ejected for 5s (ejection #1)', AT);
    b.clearFlag('failed_health_check', '2 consecutive checks passed: HTTP 200', AT);
    expect(lines).toEqual([
      '13:04:05 b marked failed_health_check: 2 consecutive check failures: connect ECONNREFUSED',
      '         now: a up | b DOWN (failed_health_check)',
      '13:04:05 b marked ejected: 5 consecutive 5xx; ejected for 5s (ejection #1)',
      '         now: a up | b DOWN (failed_health_check, ejected)',
      '13:04:05 b cleared failed_health_check: 2 consecutive checks passed: HTTP 200',
      '         now: a up | b DOWN (ejected)',
    ]);
    monitor.close();
    b.clearFlag('ejected', 'ejection time over', AT);
    expect(lines).toHaveLength(6);
  });

  it('names servers upstream/name when there are several upstreams, and follows servers a reload adds', () => {
    const src = source({ web: [server('web', 'a')] });
    const lines: string[] = [];
    const monitor = new FlagMonitor(src, (l) => lines.push(l));
    monitor.watch();
    const added = server('api', 'a');
    src.upstreams.set('api', { servers: { all: [added] } });
    added.setFlag('disabled', 'admin: disable requested', AT);
    expect(lines).toEqual([]);
    monitor.watch();
    added.clearFlag('disabled', 'admin: enable requested', AT);
    expect(lines).toEqual(['13:04:05 api/a cleared disabled: admin: enable requested', '         now: web/a up | api/a up']);
    expect(clockTime(AT)).toBe('13:04:05');
  });
});
