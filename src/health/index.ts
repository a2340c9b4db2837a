/**
 * @module health
 * Active health checking: HealthChecker probes an upstream's servers on their own
 * connections and owns their `failed_health_check` flag. Imports only core/ and Node
 * built-ins, so the proxy, balancer and resilience parts stay independent of it.
 */
export { HealthChecker, jittered, type CheckResult, type CheckState, type HealthCheckerDeps } from './checker.js';
export { httpProbe, BODY_LIMIT } from './probe-http.js';
export { tcpProbe } from './probe-tcp.js';
export type { Probe, ProbeOutcome } from './probe.js';
