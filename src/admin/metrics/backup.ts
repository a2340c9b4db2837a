/**
 * @module admin/metrics/backup
 * The backup sidecar's snapshot runs, as its agent reports them (POST /backup/report), read
 * at scrape time. Without a `backup:` block neither metric has a series, so an alert on the
 * last success's age fires only where backups are configured.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSource } from './source.js';

export function backupMetrics(registry: Registry, src: MetricsSource): void {
  new Counter({
    name: 'bulwark_backup_snapshots_total',
    help: 'Snapshot runs of the backup agent by result: ok or failed.',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      const b = src.backup();
      if (b === undefined) return;
      this.labels('ok').inc(b.ok);
      this.labels('failed').inc(b.failed);
    },
  });
  new Gauge({
    name: 'bulwark_backup_last_success_timestamp_seconds',
    help: 'Unix time bulwark last heard of a successful snapshot (absent until the first one).',
    registers: [registry],
    collect() {
      // reset() leaves a label-less gauge at 0; remove() drops that sample too.
      this.reset();
      this.remove();
      const at = src.backup()?.lastSuccessAt;
      if (at !== undefined) this.set(at / 1000);
    },
  });
}
