/**
 * @module config/validate-alerts
 * Validation of the top-level `alerts:` block (webhooks, runtime/alerts). Absent, no alert
 * is sent; written, `webhooks` is required and `on` defaults to every event. Each list is
 * non-empty and names each item once: a webhook listed twice would get every event twice.
 * The delivery keys default to defaults.ts; a backoff above max_backoff adapts the side
 * left out, and is an error only when both are written.
 */
import { ALERT_EVENTS } from '../core/config.js';
import type { AlertDelivery, AlertsConfig } from '../core/config.js';
import { ALERT_QUEUE_RANGE, ALERT_RETRIES_RANGE, DEFAULT_ALERT_DELIVERY, DEFAULT_ALERT_EVENTS } from './defaults.js';
import { Invalid } from './validate-context.js';
import type { Block, Checker, Entry, Parse } from './validate-context.js';
import { duration, httpUrl, integer, keepOrder, oneOf, readFields, type Fields } from './validate-values.js';

const DELIVERY_FIELDS: Fields<AlertDelivery> = {
  queue: integer(ALERT_QUEUE_RANGE),
  timeout: duration,
  retries: integer(ALERT_RETRIES_RANGE),
  backoff: duration,
  max_backoff: duration,
};
const KEYS = ['webhooks', 'on', ...Object.keys(DELIVERY_FIELDS)];
const WEBHOOK_RULE = 'must be an http:// or https:// URL like https://alerts.example.com/hook';

/** A webhook URL: http or https with a host; kept whole (path and query are the receiver's). */
export const webhookUrl: Parse<string> = (value) => {
  const url = httpUrl(value, WEBHOOK_RULE);
  if (url instanceof Invalid) return url;
  if (url.hash) return new Invalid('must not have a fragment (it is never sent)');
  return url.href;
};

/** The valid items of the list in `e`, each once (a repeat is reported where it is written). */
function uniqueItems<T>(checker: Checker, e: Entry | undefined, what: string, parse: Parse<T>): T[] {
  if (!e) return [];
  const seen = new Map<T, string>();
  for (const item of checker.list(e.value, e.path, what)) {
    const v = checker.value(item.node, item.path, parse);
    if (v === undefined) continue;
    const first = seen.get(v);
    if (first !== undefined) checker.report(item.node, item.path, `duplicate ${what} "${String(v)}"; ${first} is the same`);
    else seen.set(v, item.path);
  }
  return [...seen.keys()];
}

/** The alerts block; undefined when it is absent. */
export function readAlerts(checker: Checker, top: Block): AlertsConfig | undefined {
  const block = top.feature('alerts', KEYS);
  if (!block) return undefined;
  const webhooks = uniqueItems(checker, block.need('webhooks'), 'webhook', webhookUrl);
  const on = block.get('on') === undefined ? [...DEFAULT_ALERT_EVENTS] : uniqueItems(checker, block.get('on'), 'event', oneOf(ALERT_EVENTS));
  const delivery = keepOrder(checker, block, readFields(block, DELIVERY_FIELDS, DEFAULT_ALERT_DELIVERY), 'backoff', 'max_backoff');
  return { webhooks, on, ...delivery };
}
