/**
 * @module test/helpers/fleet-leader
 * Waiting for a fleet's nodes to agree on their leader (runtime/fleet/leader), read from
 * each node's /status. Polled with a generous bound: the suite must pass on a busy machine.
 */
import type { TestFleet } from './fleet.js';

export const LEADER_WAIT_MS = 30_000;

export interface LeaderView {
  readonly leader: string | null;
  readonly leader_term: number | null;
}

/** Polls the named nodes until all of them name the same leader and term, which `ok` accepts. */
export async function agreedLeader(f: TestFleet, names: readonly string[], ok: (v: LeaderView) => boolean = () => true): Promise<{ leader: string; term: number }> {
  const t0 = Date.now();
  for (;;) {
    const views = (await Promise.all(names.map((n) => f.status(n)))) as unknown as LeaderView[];
    const v = views[0]!;
    if (v.leader !== null && v.leader_term !== null && ok(v) && views.every((x) => x.leader === v.leader && x.leader_term === v.leader_term)) {
      return { leader: v.leader, term: v.leader_term };
    }
    if (Date.now() - t0 > LEADER_WAIT_MS) throw new Error(`no agreed leader: ${JSON.stringify(views)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The leader the nodes other than `old` agree on, once it is not `old`. */
export function successor(f: TestFleet, old: string): Promise<{ leader: string; term: number }> {
  const rest = f.nodes.map((n) => n.name).filter((n) => n !== old);
  return agreedLeader(f, rest, (v) => v.leader !== old);
}
