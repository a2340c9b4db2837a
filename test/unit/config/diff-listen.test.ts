/**
 * @module test/unit/config/diff-listen.test
 * The reload plan of `listen` with TLS listeners: new certificate contents under the same
 * paths are a hot change (listenChanged, nothing needing a restart) noted without the PEM
 * text; a changed setting is noted by its key; new addresses keep their one note.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/index.js';
import { useCerts, type CertFiles } from '../../helpers/certs.js';
import { valid, yamlWith } from './fixtures.js';

const certs = useCerts('bulwark-diff-listen-', { a: {}, b: {} });

/** The config read with `from`'s files copied under the live names. */
function readWith(from: CertFiles, more: Record<string, unknown> = {}) {
  const live = { cert: join(certs.dir, 'live.crt'), key: join(certs.dir, 'live.key') };
  copyFileSync(from.cert, live.cert);
  copyFileSync(from.key, live.key);
  return valid(yamlWith({ listen: [{ address: '127.0.0.1:8443', tls: { cert: live.cert, key: live.key, ...more } }] }));
}

describe('reload plan of TLS listeners', () => {
  it('new certificate contents under the same paths: a hot change, noted without the PEM text', () => {
    const p = diffConfig(readWith(certs.a), readWith(certs.b));
    expect(p).toMatchObject({ changed: true, listenChanged: true, restartRequired: [] });
    expect(p.summary).toEqual(['listen[0].tls: certificate or key contents changed']);
    expect(p.config.listen[0]!.tls!.cert_pem).toBe(certs.b.pem);
  });

  it('the same files read twice: no change', () => {
    expect(diffConfig(readWith(certs.a), readWith(certs.a))).toMatchObject({ changed: false, listenChanged: false, summary: [] });
  });

  it('a changed setting is noted by its key', () => {
    const p = diffConfig(readWith(certs.a), readWith(certs.a, { min_version: 'TLSv1.3' }));
    expect(p.summary).toEqual(['listen[0].tls.min_version TLSv1.2 → TLSv1.3']);
    expect(p.summary.join('\n')).not.toContain('PRIVATE KEY');
  });
});
