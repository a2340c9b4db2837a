// nginx and HAProxy as bench targets (issue 15: "nginx and HAProxy when installed"),
// configured as bulwark's `bulwark` target is: a round-robin reverse proxy over the same
// origins with keep-alive connections to them, the forwarding fields bulwark sets
// (X-Forwarded-For/-Proto/-Host, X-Request-Id) and an access log to a file. One worker
// process (nginx) or one thread (HAProxy): the issue compares bulwark's workers with one
// of theirs. Config, pid and log files go to the run's temp folder; 127.0.0.1 only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, spawnTracked, waitHttp200, stop } from './proc.js';
import { proxyCommand } from './pin.js';
import { benchCert } from './certs.js';

/** Each peer target's program: `-tls` variants terminate TLS with the same program. */
const BIN = { nginx: 'nginx', haproxy: 'haproxy', 'nginx-tls': 'nginx', 'haproxy-tls': 'haproxy' };
const onPath = (cmd) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Makes nginx and HAProxy available for the named targets: when one is missing and this runs
 * as root, `apt-get update` then `apt-get install -y` (services are not started: the bench
 * runs its own). Returns { skipped: [names], notes: [lines to print] }.
 */
export function ensurePeers(names) {
  const wanted = names.filter((n) => BIN[n]);
  const missing = [...new Set(wanted.map((n) => BIN[n]))].filter((bin) => !onPath(bin));
  const notes = [];
  if (missing.length > 0 && process.getuid?.() === 0) {
    notes.push(`installing ${missing.join(', ')} with apt-get (running as root)`);
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 300_000 });
      execFileSync('apt-get', ['install', '-y', ...missing], { stdio: 'ignore', env, timeout: 600_000 });
    } catch (e) {
      notes.push(`apt-get failed: ${e.message.split('\n')[0]}`);
    }
  }
  const skipped = wanted.filter((n) => !onPath(BIN[n]));
  for (const n of skipped) {
    notes.push(`skipping ${n}: not installed${process.getuid?.() === 0 ? ' and apt-get could not install it' : ' (run as root to let the bench apt-get install it)'}`);
  }
  return { skipped, notes };
}

const upstreamServers = (origins, line) => origins.map((o, i) => line(`127.0.0.1:${o.port}`, i + 1)).join('\n');

/**
 * `tls` ({ cert, key, pem } from certs.js) makes the listener terminate TLS: TLS 1.2 and 1.3
 * with each program's default ciphers, HTTP/1.1 only (autocannon speaks nothing else), and
 * session resumption left at its default (handshakes.js turns it off from the client side).
 */
function nginxConf(port, origins, dir, tls) {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/nginx-access.log;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fastcgi;
  uwsgi_temp_path ${dir}/nginx-uwsgi;
  scgi_temp_path ${dir}/nginx-scgi;
  keepalive_requests 1000000;
  upstream bench {
${upstreamServers(origins, (a) => `    server ${a};`)}
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port}${tls ? ' ssl' : ''};
${tls ? `    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};\n    ssl_protocols TLSv1.2 TLSv1.3;\n` : ''}    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Request-Id $request_id;
    }
  }
}
`;
}

function haproxyConf(port, origins, tls) {
  return `global
  nbthread 1
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:${port}${tls ? ` ssl crt ${tls.pem} alpn http/1.1` : ''}
  option forwardfor
  http-request set-header X-Forwarded-Proto ${tls ? 'https' : 'http'}
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Request-Id %[uuid()]
  default_backend origins
backend origins
  balance roundrobin
${upstreamServers(origins, (a, i) => `  server o${i} ${a}`)}
`;
}

/**
 * nginx or HAProxy (`-tls`: terminating TLS), in the foreground; its CPU is the process and
 * its children (nginx's worker).
 */
function peer(name) {
  const bin = BIN[name];
  return async ({ origins, tmpDir }) => {
    const dir = path.join(tmpDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const tls = name.endsWith('-tls') ? benchCert(tmpDir) : undefined;
    const conf = path.join(dir, `${name}.conf`);
    fs.writeFileSync(conf, bin === 'nginx' ? nginxConf(port, origins, dir, tls) : haproxyConf(port, origins, tls));
    // nginx: -p for its prefix, -e for the log it opens before reading the config (≥ 1.19.5).
    const args = bin === 'nginx' ? ['-p', dir, '-e', path.join(dir, 'nginx-error.log'), '-c', conf] : ['-db', '-f', conf];
    const out = fs.openSync(path.join(dir, `${name}-stdout.log`), 'a');
    const child = spawnTracked(name, ...proxyCommand(bin, args), { cwd: dir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`;
    try {
      await waitHttp200(url, child);
    } catch (e) {
      await stop(child);
      const tail = fs.readFileSync(path.join(dir, `${name}-stdout.log`), 'utf8').slice(-2000);
      throw new Error(`${name} did not become ready: ${e.message}\n--- ${name} output (tail) ---\n${tail}`);
    }
    // nginx's master ends its worker on SIGTERM (fast shutdown); HAProxy stops on SIGTERM.
    return { url, cpuPids: [child.pid], stop: () => stop(child) };
  };
}

export const PEER_TARGETS = Object.fromEntries(Object.keys(BIN).map((name) => [name, peer(name)]));
