/**
 * @module runtime/apply
 * How a reload plan (config/diff) is applied: by a list of appliers, one per part of the
 * running process that follows the config (listeners, upstream pools, fault tolerance,
 * logging, ...; see runtime/appliers). A part that should follow reloads adds one
 * applier to that list. The stages, each run over the whole list in order:
 * 1. `check`: before anything changes. Throwing rejects the reload. Whatever an applier
 *    changes here it must leave unchanged when it throws itself, and it must come after
 *    every applier that can still refuse (so binding the listeners comes last).
 * 2. The new proxy state is built from the running one, as the plan says.
 * 3. `attach`: connect to the new state before it serves a request. Must not throw.
 * 4. The new state is swapped in (atomically: new requests see all of it).
 * 5. `commit`: apply settings read outside the state; retire what the plan retires.
 */
import type { BulwarkMetrics } from '../admin/metrics/index.js';
import type { Clock, Random } from '../core/clock.js';
import type { Server } from '../core/server.js';
import type { ReloadPlan } from '../config/index.js';
import type { Logging } from '../log/index.js';
import type { FrontListeners } from '../proxy/listeners.js';
import type { Proxy } from '../proxy/proxy.js';
import type { ProxyState } from '../proxy/state.js';
import type { FaultTolerance } from './fault-tolerance.js';
import type { RuntimeOverrides } from './overrides.js';
import type { Alerts } from './alerts/index.js';

/** The running process, as the appliers see it. */
export interface ApplyContext {
  readonly configFile: string;
  /** Environment for the variables the config names (backup.encrypt_key_env). */
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly random: Random;
  readonly logging: Logging;
  readonly proxy: Proxy;
  readonly listeners: FrontListeners;
  readonly overrides: RuntimeOverrides;
  /** Each upstream's fault-tolerance parts, by upstream name. */
  readonly faultTolerance: Map<string, FaultTolerance>;
  /** Logs the flag changes of the servers it is given (runtime/server-events). */
  readonly serverEvents: { watch(servers: readonly Server[]): void };
  /** The alert webhooks, which follow `alerts:` (runtime/alerts). */
  readonly alerts: Pick<Alerts, 'configure'>;
  /** The Prometheus metrics, which follow the servers' flag changes and health checks (admin/metrics). */
  readonly metrics: Pick<BulwarkMetrics, 'watch' | 'followChecks'>;
  /** false in a group's worker: its primary runs the health checks and sends the flags (default true). */
  readonly activeChecks?: boolean;
}

/** The running state and the one built for the plan (swapped in between attach and commit). */
export interface States {
  readonly prev: ProxyState;
  readonly next: ProxyState;
}

export interface Applier {
  readonly name: string;
  readonly check?: (plan: ReloadPlan, ctx: ApplyContext) => void | Promise<void>;
  readonly attach?: (plan: ReloadPlan, ctx: ApplyContext, states: States) => void;
  readonly commit?: (plan: ReloadPlan, ctx: ApplyContext, states: States) => void;
}

/** Applies `plan` through `appliers`. Throws, having changed nothing, when a check refuses. */
export async function applyPlan(plan: ReloadPlan, ctx: ApplyContext, appliers: readonly Applier[]): Promise<void> {
  for (const a of appliers) await a.check?.(plan, ctx);
  const states = { prev: ctx.proxy.state, next: ctx.proxy.prepare(plan.config, plan.upstreams) };
  for (const a of appliers) a.attach?.(plan, ctx, states);
  ctx.proxy.swap(states.next);
  for (const a of appliers) a.commit?.(plan, ctx, states);
}
