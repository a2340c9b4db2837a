/**
 * @module runtime/cert-expiry
 * The certificates the TLS listeners serve and when they expire, read from the running
 * config at start and after every applied reload (a swapped certificate replaces its
 * entry): for /metrics (bulwark_tls_certificate_expiry_timestamp_seconds), /status, and a
 * `certificate_expiring` warning once a day per certificate from 14 days before its notAfter
 * on. config/validate-tls warns once at load; a process that runs for weeks needs reminding.
 * The timer is the injected clock's (tests move time themselves); nothing here is on the
 * request path.
 */
import { X509Certificate } from 'node:crypto';
import type pino from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Listener } from '../core/config.js';
import { CERT_EXPIRY_WARNING_MS } from '../config/index.js';

/** One certificate on one listener (each certificate once per listener, default or `sni`). */
export interface ServedCertificate {
  /** The listener's address ("127.0.0.1:8443"; as bound where this process binds it). */
  readonly listener: string;
  /** subjectAltName's DNS names and IP addresses (the CN without one), comma-separated. */
  readonly names: string;
  /** The certificate file the config names. */
  readonly file: string;
  /** notAfter, epoch ms. */
  readonly notAfter: number;
  readonly fingerprint: string;
}

const DAY_MS = 86_400_000;

function namesOf(x: X509Certificate): string {
  const san = (x.subjectAltName ?? '').split(', ').filter((e) => /^(DNS|IP Address):/.test(e));
  if (san.length > 0) return san.map((e) => e.slice(e.indexOf(':') + 1)).join(',');
  return /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? '';
}

/** Every listener's certificates; `addressOf(i)` names listener i. */
export function servedCertificates(listen: readonly Listener[], addressOf: (i: number) => string): ServedCertificate[] {
  const out: ServedCertificate[] = [];
  for (const [i, l] of listen.entries()) {
    if (l.tls === undefined) continue;
    const seen = new Set<string>();
    for (const c of [l.tls, ...l.tls.sni]) {
      // The first certificate of the chain is the one served (checked at load).
      const x = new X509Certificate(c.cert_pem);
      if (seen.has(x.fingerprint256)) continue;
      seen.add(x.fingerprint256);
      out.push({ listener: addressOf(i), names: namesOf(x), file: c.cert, notAfter: Date.parse(x.validTo), fingerprint: x.fingerprint256 });
    }
  }
  return out;
}

export class CertificateExpiry {
  readonly #clock: Clock;
  /** Absent: no warnings (a group worker: its primary warns for the group). */
  readonly #log: pino.Logger | undefined;
  #served: readonly ServedCertificate[] = [];
  /** When each certificate (by fingerprint) was last warned of. */
  readonly #warned = new Map<string, number>();
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, log: pino.Logger | undefined) {
    this.#clock = clock;
    this.#log = log;
  }

  get served(): readonly ServedCertificate[] {
    return this.#served;
  }

  /** Follows the certificates of `listen` (the running config's); warns at once of those due. */
  follow(listen: readonly Listener[], addressOf: (i: number) => string): void {
    this.#served = servedCertificates(listen, addressOf);
    const live = new Set(this.#served.map((c) => c.fingerprint));
    for (const fp of this.#warned.keys()) if (!live.has(fp)) this.#warned.delete(fp);
    if (this.#log !== undefined) this.#check();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Warns of every certificate due, then sleeps until the next one is (a day at most). */
  #check(): void {
    this.stop();
    // No TLS listener: no timer (nothing to remind of, and nothing on the App's clock).
    if (this.#served.length === 0) return;
    const now = this.#clock.now();
    let next = now + DAY_MS;
    const byCert = new Map<string, ServedCertificate[]>();
    for (const c of this.#served) byCert.set(c.fingerprint, [...(byCert.get(c.fingerprint) ?? []), c]);
    for (const [fp, on] of byCert) {
      const c = on[0]!;
      const last = this.#warned.get(fp);
      const due = Math.max(c.notAfter - CERT_EXPIRY_WARNING_MS, last === undefined ? -Infinity : last + DAY_MS);
      if (due > now) {
        next = Math.min(next, due);
        continue;
      }
      this.#warned.set(fp, now);
      const listeners = on.map((s) => s.listener);
      const day = new Date(c.notAfter).toISOString().slice(0, 10);
      const days = Math.ceil((c.notAfter - now) / DAY_MS);
      const when = c.notAfter <= now ? `expired on ${day}` : `expires on ${day}, in ${days} days`;
      this.#log!.warn(
        { event: 'certificate_expiring', listeners, names: c.names, file: c.file, not_after: new Date(c.notAfter).toISOString(), days_left: days },
        `the certificate for ${c.names} (${c.file}) served on ${listeners.join(', ')} ${when}: renew it and reload`,
      );
    }
    this.#timer = this.#clock.setTimeout(() => this.#check(), next - now);
  }
}
