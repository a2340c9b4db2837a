/**
 * @module test/unit/config/validate-alerts
 * The top-level `alerts:` block: absent vs written, `webhooks` required, http(s) only and
 * each listed once, `on` defaulting to every event and naming only known ones.
 */
import { describe, expect, it } from 'vitest';
import { ALERT_EVENTS } from '../../../src/core/config.js';
import { located, MINIMAL, onlyRule, problems, valid, yamlWith } from './fixtures.js';

const HOOK = 'https://alerts.example.com/hook?token=abc';

describe('alerts block', () => {
  it('is off (undefined) when absent', () => {
    expect(valid(MINIMAL).alerts).toBeUndefined();
  });

  it('sends every event by default, and only the listed ones when `on` is written', () => {
    expect(valid(yamlWith({ alerts: { webhooks: [HOOK] } })).alerts).toEqual({ webhooks: [HOOK], on: [...ALERT_EVENTS] });
    expect(valid(yamlWith({ alerts: { webhooks: [HOOK, 'http://127.0.0.1:9000/'], on: ['server_down', 'reload_failed'] } })).alerts).toEqual({
      webhooks: [HOOK, 'http://127.0.0.1:9000/'],
      on: ['server_down', 'reload_failed'],
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
    expect(onlyRule(yamlWith({ alerts: { webhooks: [HOOK], retries: 3 } }), 'alerts.retries')).toBe('unknown key "retries"; expected one of: webhooks, on');
  });
});
