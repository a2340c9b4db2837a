/**
 * @module admin/http-io
 * How the admin listener (server.ts) reads request bodies and writes answers: JSON or
 * plain text, every answer `cache-control: no-store`; bodies read up to a bound; streamed
 * answers written with backpressure.
 */
import type http from 'node:http';
import type { ActionResult } from './actions.js';

/** The most a JSON request body may be. */
const MAX_BODY = 64 * 1024;

/** Answers with `body`: a string as plain text, anything else as indented JSON. */
export function send(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...extra });
  res.end(text);
}

/** Answers with an action's result: its body, or its error (and details) with its status. */
export function result(res: http.ServerResponse, r: ActionResult): void {
  if (r.ok) send(res, 200, r.body);
  else send(res, r.status, { error: r.error, ...(r.details ? { details: r.details } : {}) });
}

/**
 * Past a body's bound, this much more is read and thrown away so that the refusal (413) can
 * be answered on a clean connection: destroyed mid-upload, the client got a reset instead.
 * A body larger still (or declared so) is cut off with no answer.
 */
const DISCARD_MAX = 8 * 1024 * 1024;

/**
 * The request body as UTF-8 text; rejects past `max` bytes, once the rest is read and
 * discarded (up to DISCARD_MAX more; past that the request is destroyed).
 */
export function readText(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = new Error(`body larger than ${max} bytes`);
    req.on('error', reject);
    if (Number(req.headers['content-length']) > max + DISCARD_MAX) return void req.destroy(tooLarge);
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max + DISCARD_MAX) return req.destroy(tooLarge);
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => (size > max ? reject(tooLarge) : resolve(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** The request body (up to 64 KiB) parsed as JSON; undefined when empty. */
export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const text = await readText(req, MAX_BODY);
  try {
    return text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    throw new Error('body is not valid JSON');
  }
}

/** Resolves on 'drain' or 'close', removing both listeners either way. */
function drainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes chunks with backpressure; a failed producer cuts the response (never a clean end). */
export async function streamOut(res: http.ServerResponse, chunks: AsyncIterable<string>): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) return; // the client went away: stop producing
      if (!res.write(chunk)) await drainOrClose(res);
    }
    res.end();
  } catch (err) {
    res.destroy(err as Error);
  }
}
