/**
 * @module resilience
 * Passive fault tolerance that works through server flags and weights: outlier ejection
 * (flag `ejected`), the error-rate breaker (flag `circuit_open`) and slow start (weight).
 * Each owns its one flag or the weight and never calls another; the composition root
 * builds them per upstream, adds the observers to the upstream's observer list, wires the
 * health checker's passes to OutlierDetector.onHealthCheckPassed and calls stop() on each
 * when the upstream is retired.
 */
export { ErrorRateBreaker, type CircuitState } from './error-breaker.js';
export {
  OutlierDetector,
  type OutlierCounts,
  type OutlierInfo,
  type OutlierKind,
  type OutlierStats,
} from './outlier-detector.js';
export { SlowStart } from './slow-start.js';
