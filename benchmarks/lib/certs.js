// A throwaway certificate for the TLS targets (bulwark-tls, nginx-tls, haproxy-tls and
// handshakes.js), made with the openssl CLI in the run's temp folder. Every TLS target
// serves the same one, so the handshakes they are compared on cost the same crypto:
// RSA 2048 (still the most common web certificate) unless BENCH_CERT_KEY says "ec"
// (ECDSA P-256). The client never verifies it (autocannon sets rejectUnauthorized: false).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const made = new Map();

/** { cert, key, pem (cert + key in one file, as HAProxy's `crt` wants), type } under `dir`. */
export function benchCert(dir) {
  const type = process.env.BENCH_CERT_KEY === 'ec' ? 'ec' : 'rsa';
  const key = path.join(dir, `bench-${type}.key`);
  if (made.has(key)) return made.get(key);
  const cert = path.join(dir, `bench-${type}.crt`);
  const newkey = type === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  try {
    execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`the TLS targets need the openssl CLI to make their certificate: ${e.message.split('\n')[0]}`);
  }
  const pem = path.join(dir, `bench-${type}.pem`);
  fs.writeFileSync(pem, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
  const out = { cert, key, pem, type };
  made.set(key, out);
  return out;
}
