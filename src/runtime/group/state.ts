/**
 * @module runtime/group/state
 * The group-owned server state on both sides of the channel: the primary follows its
 * servers' GROUP_FLAGS and weight overrides and hands each change to `send`; a worker finds
 * the same server in its own proxy state and applies it there.
 */
import { restartValues } from '../../config/index.js';
import type { Server } from '../../core/server.js';
import type { App } from '../app.js';
import { GROUP_FLAGS, type FlagMessage, type InitMessage, type WeightMessage } from './messages.js';

type Change = FlagMessage | WeightMessage;

/** The primary's side: every change of a group flag or weight override becomes a message. */
export class GroupState {
  readonly #app: App;
  readonly #send: (m: Change) => void;
  readonly #watched = new WeakSet<Server>();

  constructor(app: App, send: (m: Change) => void) {
    this.#app = app;
    this.#send = send;
    app.overrides.onUpdate = (s, change) => {
      if (change.weight !== undefined) send({ type: 'weight', upstream: s.upstream, server: s.name, weight: change.weight });
    };
    this.follow();
  }

  /** Follows the servers of the running state (again after each reload: new servers join). */
  follow(): void {
    for (const s of this.#servers()) {
      if (this.#watched.has(s)) continue;
      this.#watched.add(s);
      s.onFlagChange((c) => {
        if (GROUP_FLAGS.has(c.flag)) this.#send({ type: 'flag', upstream: s.upstream, server: s.name, flag: c.flag, set: c.set, reason: c.reason, at: c.at });
      });
    }
  }

  /**
   * What a worker starting now needs: the running config text with the restart-only keys the
   * group runs (a reload since the start may have changed them in the file), the flags set
   * now and the weight overrides.
   */
  init(): InitMessage {
    const flags: FlagMessage[] = [];
    const weights: WeightMessage[] = [];
    for (const s of this.#servers()) {
      for (const [flag, st] of s.flags) {
        if (GROUP_FLAGS.has(flag)) flags.push({ type: 'flag', upstream: s.upstream, server: s.name, flag, set: true, reason: st.reason, at: st.since });
      }
      const weight = this.#app.overrides.get(s)?.weight;
      if (weight !== undefined) weights.push({ type: 'weight', upstream: s.upstream, server: s.name, weight });
    }
    return { type: 'init', file: this.#app.configFile, text: this.#app.status.text, flags, weights, restart: restartValues(this.#app.status.config) };
  }

  *#servers(): Iterable<Server> {
    for (const u of this.#app.proxy.state.upstreams.values()) yield* u.servers.all;
  }
}

/**
 * A worker's side: applies one change to its own server of that name. A server it does not
 * have is skipped: messages arrive in order after the config that made the primary's.
 */
export function applyChange(app: App, m: Change): void {
  const u = app.proxy.state.upstreams.get(m.upstream);
  const s = u?.servers.find(m.server);
  if (u === undefined || s === undefined) return;
  if (m.type === 'flag') {
    if (m.set) s.setFlag(m.flag, m.reason, m.at);
    else s.clearFlag(m.flag, m.reason, m.at);
    return;
  }
  s.configuredWeight = m.weight;
  s.weight = m.weight;
  u.servers.refresh();
  app.overrides.update(s, { weight: m.weight });
}
