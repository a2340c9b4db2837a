import { describe, expect, it } from 'vitest';
import { Server, type FlagChange } from '../../../src/core/server.js';

function server(): Server {
  return new Server({ upstream: 'u', name: 's1', origin: 'http://127.0.0.1:1', weight: 1 });
}

describe('Server flags', () => {
  it('is available only with no flag, and each flag is independent', () => {
    const s = server();
    expect(s.available).toBe(true);
    s.setFlag('ejected', 'x', 1);
    s.setFlag('circuit_open', 'y', 2);
    s.clearFlag('ejected', 'done', 3);
    expect(s.available).toBe(false);
    expect([...s.flags.keys()]).toEqual(['circuit_open']);
    s.clearFlag('circuit_open', 'done', 4);
    expect(s.available).toBe(true);
  });

  it('setting a set flag with the same reason is a no-op; a new reason updates it and emits, keeping since', () => {
    const s = server();
    const events: FlagChange[] = [];
    s.onFlagChange((c) => events.push(c));
    s.setFlag('circuit_open', 'half-open: 3 probes in flight', 100);
    s.setFlag('circuit_open', 'half-open: 3 probes in flight', 200);
    expect(events).toHaveLength(1);
    s.setFlag('circuit_open', 'half-open probe failed: 503; open for 30s', 300);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ set: true, reason: 'half-open probe failed: 503; open for 30s', at: 300 });
    expect(s.flags.get('circuit_open')).toEqual({ since: 100, reason: 'half-open probe failed: 503; open for 30s' });
  });

  it('clearing an unset flag emits nothing; unsubscribe stops events', () => {
    const s = server();
    const events: FlagChange[] = [];
    const off = s.onFlagChange((c) => events.push(c));
    s.clearFlag('disabled', 'nothing', 1);
    expect(events).toHaveLength(0);
    off();
    s.setFlag('disabled', 'admin', 2);
    expect(events).toHaveLength(0);
  });
});
