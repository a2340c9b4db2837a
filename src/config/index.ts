/**
 * @module config
 * The public face of config/: load and validate bulwark.yaml, plus the small parsers
 * (durations, sizes, percentages, listen addresses) and defaults that the CLI and docs reuse.
 * Everything else in this folder is internal to validation.
 */
export { checkConfigFile, issueTotal, loadConfigFile, MAX_CONFIG_BYTES, MAX_REPORTED_ISSUES, parseConfig, parseConfigOffThread, validateConfigFile } from './load.js';
export type { LoadOptions, ParseOptions, ParseResult } from './load.js';
export { MAX_NESTING } from './yaml.js';
export { formatDuration, MAX_DURATION_MS, parseDuration, parsePercent, parseSize } from './duration.js';
export { addressesConflict, formatListenAddress, parseListenAddress } from './address.js';
export { Invalid } from './validate-context.js';
export * from './defaults.js';
export { diffConfig, RESTART_KEYS, restartValues, withRestartValues } from './diff.js';
export type { ReloadPlan } from './diff.js';
export { same } from '../core/reload-plan.js';
export { ConfigWatcher } from './watch.js';
export type { WatchOptions } from './watch.js';
