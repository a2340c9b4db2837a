/**
 * @module runtime/group/worker
 * One worker of a group (a node:cluster worker, started by runtime/group/primary): an App
 * with the proxy listeners only. Its config comes from the primary as text and goes
 * through the same loader and reload plan as a file's; the group's flags and weights
 * arrive as messages. Messages are handled one at a time, in order, so a flag for a server
 * a reload adds is applied after that reload.
 */
import { ConfigError } from '../../core/errors.js';
import { parseConfig, parseConfigOffThread, withRestartValues } from '../../config/index.js';
import { App } from '../app.js';
import type { ConfigLoader } from '../reload.js';
import { GROUP_FLAGS, isToWorker, type FromWorker, type InitMessage, type ToWorker } from './messages.js';
import { applySessions, WorkerSessions } from './sessions.js';
import { takeSnapshot } from './snapshot.js';
import { applyChange } from './state.js';

/** Resolves once the message is written (or could not be): a worker about to exit waits for it. */
function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => (process.connected ? process.send!(m, undefined, {}, () => resolve()) : resolve()));
}

/** The first message: the config to start from (everything before it is not ours). */
function init(queue: ToWorker[]): Promise<InitMessage> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      if (!isToWorker(m)) return;
      if (m.type !== 'init') return void queue.push(m);
      process.off('message', onMessage);
      resolve(m);
    };
    process.on('message', onMessage);
    void send({ type: 'hello' });
  });
}

/** Runs this process as a worker until it is told to stop; resolves with its exit code. */
export async function runWorker(): Promise<number> {
  // Orphaned before serving (the primary died): nothing to drain.
  const orphaned = (): never => process.exit(1);
  process.on('disconnect', orphaned);
  const early: ToWorker[] = [];
  const first = await init(early);
  let text = first.text;
  let started = false;
  // At start: parsed here (nothing to stall yet), with the restart-only keys the group runs,
  // not the file's (a restarted worker must run what the others run). On a reload: off the
  // proxy's thread (config/load); the reload plan keeps those keys as they are.
  const load: ConfigLoader = async () => {
    const { config, issues } = started ? await parseConfigOffThread(text, first.file) : parseConfig(text, first.file);
    if (config === undefined) throw new ConfigError(issues);
    return { config: started ? config : withRestartValues(config, first.restart), text };
  };
  let app: App;
  // Pins this worker makes go to the primary at once; the keys it reads, on a slow timer.
  const sessions = new WorkerSessions((m) => void send(m));
  const beforeListen = (a: App): void => {
    [...first.flags, ...first.weights].forEach((m) => applyChange(a, m));
    if (first.sessions !== undefined) applySessions(a.proxy.state, { type: 'sessions', mode: 'replace', entries: first.sessions });
  };
  try {
    app = await App.start({ configFile: first.file, load, role: 'worker', watch: false, relayedFlags: GROUP_FLAGS, stickyStore: sessions.factory, beforeListen });
  } catch (err) {
    await send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
  started = true;
  process.off('disconnect', orphaned);
  const log = app.logging.logger;
  let stopping: Promise<number> | undefined;
  const stop = (why: string): Promise<number> => {
    stopping ??= (log.info({ event: 'worker_draining', reason: why }, `worker ${process.pid}: ${why}: draining`), app.stop().then(() => 0));
    return stopping;
  };
  return new Promise<number>((resolve) => {
    let chain = Promise.resolve();
    const handle = async (m: ToWorker): Promise<void> => {
      if (m.type === 'config') {
        text = m.text;
        await send({ type: 'reloaded', id: m.id, version: m.version, outcome: await app.reload(m.trigger) });
      } else if (m.type === 'flag' || m.type === 'weight') applyChange(app, m);
      else if (m.type === 'pin' || m.type === 'touch' || m.type === 'sessions') applySessions(app.proxy.state, m);
      else if (m.type === 'reopen') app.reopenLogs();
      else if (m.type === 'snapshot') await send({ type: 'counters', id: m.id, snapshot: await takeSnapshot(app) });
      else if (m.type === 'stop') resolve(await stop('asked by the primary'));
    };
    const enqueue = (m: ToWorker): void => void (chain = chain.then(() => handle(m)).catch((err: unknown) => log.error({ event: 'worker_message_failed', error: String(err) }, String(err))));
    early.forEach(enqueue);
    // A snapshot is answered at once, not after a reload in progress: the primary waits for it.
    process.on('message', (m: unknown) => isToWorker(m) && (m.type === 'snapshot' ? void handle(m) : enqueue(m)));
    // A signal to the whole process group (Ctrl-C, systemd's stop) reaches workers too: drain as the primary does.
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) {
        app.logging.flushSync();
        process.exit(1);
      }
      signalled = true;
      void stop(`${sig} received`).then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // The primary is gone (killed): nothing would restart or stop this worker, so it stops.
    process.on('disconnect', () => void stop('the primary is gone').then(resolve));
    // The primary reloads on SIGHUP for the group; a HUP sent to every process must not end this one.
    process.on('SIGHUP', () => {});
    process.on('SIGUSR1', () => {});
    void send({ type: 'ready', listen: app.addresses.map((a) => (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`)) });
  });
}
