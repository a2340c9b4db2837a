/**
 * @module proxy/tls-context
 * The secure contexts of a TLS listener: the default certificate, and one per `sni` entry
 * chosen by the name the client sends (exact names first, then "*." wildcards, which cover
 * one label as RFC 6125 §6.4.3 says). A reload swaps them for new handshakes
 * (`update`): connections already open keep the context they were made with.
 * The certificates were read and checked at load (config/validate-tls).
 */
import tls from 'node:tls';
import type { ListenerTls } from '../core/config.js';
import { same } from '../core/reload-plan.js';

type SniCallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void;

/** The context options of one certificate under a listener's TLS settings. */
function contextOptions(settings: ListenerTls, cert: string, key: string): tls.SecureContextOptions {
  return { cert, key, minVersion: settings.min_version, ...(settings.ciphers === undefined ? {} : { ciphers: settings.ciphers }) };
}

/** The name under which a wildcard entry would hold `name`: "a.example.com" → "*.example.com". */
function wildcardOf(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot > 0 ? `*${name.slice(dot)}` : undefined;
}

const kContexts = Symbol('bulwark.tlsContexts');

export class TlsContexts {
  #server: tls.Server | undefined;
  #settings!: ListenerTls;
  #byName = new Map<string, tls.SecureContext>();
  #default!: tls.SecureContext;

  constructor(settings: ListenerTls) {
    this.#build(settings)();
  }

  /** The server options of a listener with these settings: its default certificate and SNI. */
  get serverOptions(): tls.TlsOptions {
    return { ...this.defaultOptions, SNICallback: this.sniCallback };
  }

  /** What server.setSecureContext takes: the default certificate, for clients that send no name. */
  get defaultOptions(): tls.SecureContextOptions {
    const s = this.#settings;
    return contextOptions(s, s.cert_pem, s.key_pem);
  }

  /** Picks the context for a client's server name; unknown names get the default certificate. */
  readonly sniCallback: SniCallback = (servername, cb) => {
    const name = servername.toLowerCase();
    const wildcard = wildcardOf(name);
    cb(null, this.#byName.get(name) ?? (wildcard === undefined ? undefined : this.#byName.get(wildcard)) ?? this.#default);
  };

  /** Builds every context of `settings` (throwing on one OpenSSL refuses); the returned function puts them in use. */
  #build(settings: ListenerTls): () => void {
    const fallback = tls.createSecureContext(contextOptions(settings, settings.cert_pem, settings.key_pem));
    const byName = new Map<string, tls.SecureContext>();
    for (const entry of settings.sni) {
      const ctx = tls.createSecureContext(contextOptions(settings, entry.cert_pem, entry.key_pem));
      for (const n of entry.names) byName.set(n, ctx);
    }
    return () => {
      this.#default = fallback;
      this.#byName = byName;
      this.#settings = settings;
    };
  }

  /** The contexts `server` (made with serverOptions) was given. */
  static of(server: tls.Server): TlsContexts | undefined {
    return (server as unknown as Record<symbol, TlsContexts | undefined>)[kContexts];
  }

  /** Ties these contexts to the server made with serverOptions, for of() and update(). */
  attach(server: tls.Server): void {
    this.#server = server;
    (server as unknown as Record<symbol, TlsContexts>)[kContexts] = this;
  }

  /**
   * Builds the contexts of `settings` (throwing, changing nothing, on one OpenSSL refuses);
   * the returned function swaps them in: new handshakes use them, open connections keep theirs.
   */
  prepare(settings: ListenerTls): () => void {
    // A reload that changed another listener leaves this one's contexts (and session tickets) alone.
    if (same(settings, this.#settings)) return () => {};
    const use = this.#build(settings);
    return () => {
      use();
      // Clients that send no server name (an IP address) get the server's own context.
      this.#server?.setSecureContext(this.defaultOptions);
    };
  }
}
