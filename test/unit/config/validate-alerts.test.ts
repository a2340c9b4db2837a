/**
 * @module test/unit/config/validate-alerts
 * The top-level `alerts:` block: absent vs written, `webhooks` required, http(s) only and
 * each listed once, `on` defaulting to every event and naming only known ones; the delivery
 * keys (queue, timeout, retries, backoff, max_backoff) with their defaults and ranges.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_DELIVERY } from '../../../src/config/defaults.js';
import { ALERT_EVENTS } from '../../../src/core/config.js';
import { located, MINIMAL, onlyRule, problems, valid, yamlWith } from './fixtures.js';

const HOOK = 'https://alerts.example.com/hook?token=abc';

describe('alerts block', () => {
  it('is off (undefined) when absent', () => {
    expect(valid(MINIMAL).alerts).toBeUndefined();
  });

  it('sends every event by default, and only the listed ones when `on` is written', () => {
    expect(valid(yamlWith({ alerts: { webhooks: [HOOK] } })).alerts).toEqual({ webhooks: [HOOK], on: [...ALERT_EVENTS], ...DEFAULT_ALERT_DELIVERY });
    expect(valid(yamlWith({ alerts: { webhooks: [HOOK, 'http://127.0.0.1:9000/'], on: ['server_down', 'reload_failed'] } })).alerts).toEqual({
      webhooks: [HOOK, 'http://127.0.0.1:9000/'],
      on: ['server_down', 'reload_failed'],
      ...DEFAULT_ALERT_DELIVERY,
    });
  });

  it('requires webhooks, pointing at the block, or at its key when the block is empty', () => {
    expect(located(`${MINIMAL}alerts:\n  on: [server_down]\n`)).toEqual([[8, 3, 'alerts.webhooks', 'is required']]);
    expect(located(`${MINIMAL}alerts:\n`)).toEqual([[7, 1, 'alerts.webhooks', 'is required']]);
  });

  it('accepts http and https URLs only, each where it is written', () => {
    expect(onlyRule(yamlWith({ alerts: { webhooks: ['ftp://x.example.com/'] } }), 'alerts.webhooks[0]')).toBe(
      'must be an http:// or https:// URL like https://alerts.example.com/hook (got "ftp:")',
    );
    expect(onlyRule(yamlWith({ alerts: { webhooks: [HOOK, 'not a url'] } }), 'alerts.webhooks[1]')).toMatch(/^must be an http:\/\/ or https:\/\/ URL/);
    expect(onlyRule(yamlWith({ alerts: { webhooks: ['http://x.example.com/#a'] } }), 'alerts.webhooks[0]')).toBe('must not have a fragment (it is never sent)');
  });

  it('rejects empty lists, repeats, unknown events and unknown keys', () => {
    expect(problems(yamlWith({ alerts: { webhooks: [] } }))).toEqual(['alerts.webhooks: must list at least one webhook']);
    expect(onlyRule(yamlWith({ alerts: { webhooks: [HOOK, HOOK] } }), 'alerts.webhooks[1]')).toBe(`duplicate webhook "${HOOK}"; alerts.webhooks[0] is the same`);
    expect(onlyRule(yamlWith({ alerts: { webhooks: [HOOK], on: ['server_dwn'] } }), 'alerts.on[0]')).toMatch(/^must be one of: server_down, server_up/);
    expect(problems(yamlWith({ alerts: { webhooks: [HOOK], on: [] } }))).toEqual(['alerts.on: must list at least one event']);
    expect(onlyRule(yamlWith({ alerts: { webhooks: [HOOK], attempts: 3 } }), 'alerts.attempts')).toBe(
      'unknown key "attempts"; expected one of: webhooks, on, queue, timeout, retries, backoff, max_backoff',
    );
  });

  it('delivery: defaults of 1000 queued, 5s, 7 retries, 1s doubling to 60s; each key read and range-checked where written', () => {
    expect(DEFAULT_ALERT_DELIVERY).toEqual({ queue: 1000, timeout: 5000, retries: 7, backoff: 1000, max_backoff: 60_000 });
    const written = { webhooks: [HOOK], queue: 10, timeout: '2s', retries: 0, backoff: '100ms', max_backoff: '1s' };
    expect(valid(yamlWith({ alerts: written })).alerts).toMatchObject({ queue: 10, timeout: 2000, retries: 0, backoff: 100, max_backoff: 1000 });
    expect(located(`${MINIMAL}alerts:\n  webhooks: [${HOOK}]\n  queue: 0\n  retries: 101\n  timeout: soon\n`)).toEqual([
      [9, 10, 'alerts.queue', 'must be an integer between 1 and 100000'],
      [10, 12, 'alerts.retries', 'must be an integer between 0 and 100'],
      [11, 12, 'alerts.timeout', expect.stringMatching(/^must be a duration like 500ms, 2s/)],
    ]);
  });

  it('delivery: backoff above max_backoff adapts the side left out, and is an error only when both are written', () => {
    expect(valid(yamlWith({ alerts: { webhooks: [HOOK], backoff: '2m' } })).alerts).toMatchObject({ backoff: 120_000, max_backoff: 120_000 });
    expect(valid(yamlWith({ alerts: { webhooks: [HOOK], max_backoff: '500ms' } })).alerts).toMatchObject({ backoff: 500, max_backoff: 500 });
    expect(onlyRule(yamlWith({ alerts: { webhooks: [HOOK], backoff: '2s', max_backoff: '1s' } }), 'alerts.backoff')).toMatch(/max_backoff/);
  });
});
