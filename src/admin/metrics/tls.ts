/**
 * @module admin/metrics/tls
 * When each certificate the TLS listeners serve expires, rebuilt at every scrape from the
 * running certificates (a reload that swaps one replaces its series).
 */
import { Gauge, type Registry } from 'prom-client';
import type { MetricsSource } from './source.js';

export function tlsMetrics(registry: Registry, src: MetricsSource): void {
  new Gauge({
    name: 'bulwark_tls_certificate_expiry_timestamp_seconds',
    help: "Unix time of a served certificate's notAfter, per listener and the certificate's names (subjectAltName).",
    labelNames: ['listener', 'names'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of src.certificates?.() ?? []) this.labels(c.listener, c.names).set(c.notAfter / 1000);
    },
  });
}
