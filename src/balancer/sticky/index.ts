/**
 * @module balancer/sticky
 * Session affinity (HAProxy stick tables): one StickyTable per upstream maps a session key
 * to a server name; stickyKey() finds the key of a request; cookie.ts mints and learns
 * session cookies. The proxy decides what to do with a pin (use it if the server is
 * available, else pick and repin); nothing here knows about servers' state.
 */
export { REPIN_REASONS, StickyTable } from './table.js';
export type { RepinReason } from './table.js';
export type { StickyStore, StickyStoreFactory } from './store.js';
export { CookieSigner, MIN_COOKIE_KEY_LENGTH } from './signed.js';
export { KeyWalk } from './walk.js';
export { entryProblem, MAX_KEY_LENGTH } from './entry.js';
export type { ImportCounts, ImportMode, StickyEntry } from './entry.js';
export { requestCookie, stickyKey } from './key.js';
export type { StickyRequest } from './key.js';
export { learnFromSetCookie, newSessionId, setCookieHeader } from './cookie.js';
export type { SessionCookieOptions } from './cookie.js';
export { decodeLine, decodeNdjson, decodeSteps, describeProblem, encodeLine, encodeNdjson, MAX_LINE_PROBLEMS } from './ndjson.js';
export type { Decoded, LineProblem } from './ndjson.js';
