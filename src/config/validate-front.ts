/**
 * @module config/validate-front
 * The `front:` block: the client-facing listener's timeouts and limits, and how responses
 * are buffered for clients that read slowly (see proxy/spool.ts and README "Security model").
 */
import { tmpdir } from 'node:os';
import { isAbsolute } from 'node:path';
import type { FrontConfig } from '../core/config.js';
import {
  DEFAULT_ABORT_ON_CLOSE,
  DEFAULT_BUFFER_REQUESTS,
  DEFAULT_BUFFER_RESPONSES,
  DEFAULT_FRONT_TIMEOUTS,
  DEFAULT_H2_MAX_CONCURRENT_STREAMS,
  DEFAULT_H2_MAX_CONTROL_FRAMES_PER_SECOND,
  DEFAULT_H2_MAX_HEADER_LIST_SIZE,
  DEFAULT_H2_MAX_RESETS_PER_SECOND,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_HEADERS,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_TEMP_FILE_SIZE,
  DEFAULT_REQUEST_BUFFER_SIZE,
  DEFAULT_RESPONSE_BUFFER_SIZE,
  DEFAULT_UNDERSCORES_IN_HEADERS,
  H2_RATE_RANGE,
  H2_STREAMS_RANGE,
  MAX_HEADERS_RANGE,
  MIN_HEADER_SIZE,
} from './defaults.js';
import type { Block, Checker } from './validate-context.js';
import { boolean, integer, keepOrder, readDurations, size, text } from './validate-values.js';
import { Invalid, type Parse } from './validate-context.js';

const FRONT_KEYS = [
  'timeouts',
  'max_header_size',
  'max_headers',
  'underscores_in_headers',
  'max_body_size',
  'buffer_requests',
  'request_buffer_size',
  'buffer_responses',
  'response_buffer_size',
  'max_temp_file_size',
  'temp_path',
  'abort_on_close',
  'h2_max_concurrent_streams',
  'h2_max_header_list_size',
  'h2_max_resets_per_second',
  'h2_max_control_frames_per_second',
] as const;
const FRONT_TIMEOUT_KEYS = Object.keys(DEFAULT_FRONT_TIMEOUTS);

const absolutePath: Parse<string> = (value) => {
  const t = text(value);
  if (t instanceof Invalid) return t;
  return isAbsolute(t) ? t : new Invalid('must be an absolute path like /var/tmp/bulwark');
};

export function readFront(checker: Checker, top: Block): FrontConfig {
  const front = top.child('front', FRONT_KEYS);
  const block = front.child('timeouts', FRONT_TIMEOUT_KEYS);
  // Node.js refuses to start a server whose headers timeout exceeds its request timeout.
  const timeouts = keepOrder(checker, block, readDurations(block, DEFAULT_FRONT_TIMEOUTS), 'headers', 'request');
  return {
    timeouts,
    max_header_size: front.read('max_header_size', size(MIN_HEADER_SIZE, '1kb'), DEFAULT_MAX_HEADER_SIZE),
    max_headers: front.read('max_headers', integer(MAX_HEADERS_RANGE), DEFAULT_MAX_HEADERS),
    underscores_in_headers: front.read('underscores_in_headers', boolean, DEFAULT_UNDERSCORES_IN_HEADERS),
    max_body_size: front.read('max_body_size', size(0, '0b'), DEFAULT_MAX_BODY_SIZE),
    buffer_requests: front.read('buffer_requests', boolean, DEFAULT_BUFFER_REQUESTS),
    request_buffer_size: front.read('request_buffer_size', size(0, '0b'), DEFAULT_REQUEST_BUFFER_SIZE),
    buffer_responses: front.read('buffer_responses', boolean, DEFAULT_BUFFER_RESPONSES),
    response_buffer_size: front.read('response_buffer_size', size(0, '0b'), DEFAULT_RESPONSE_BUFFER_SIZE),
    max_temp_file_size: front.read('max_temp_file_size', size(0, '0b'), DEFAULT_MAX_TEMP_FILE_SIZE),
    temp_path: front.read('temp_path', absolutePath, tmpdir()),
    abort_on_close: front.read('abort_on_close', boolean, DEFAULT_ABORT_ON_CLOSE),
    h2_max_concurrent_streams: front.read('h2_max_concurrent_streams', integer(H2_STREAMS_RANGE), DEFAULT_H2_MAX_CONCURRENT_STREAMS),
    h2_max_header_list_size: front.read('h2_max_header_list_size', size(MIN_HEADER_SIZE, '1kb'), DEFAULT_H2_MAX_HEADER_LIST_SIZE),
    h2_max_resets_per_second: front.read('h2_max_resets_per_second', integer(H2_RATE_RANGE), DEFAULT_H2_MAX_RESETS_PER_SECOND),
    h2_max_control_frames_per_second: front.read('h2_max_control_frames_per_second', integer(H2_RATE_RANGE), DEFAULT_H2_MAX_CONTROL_FRAMES_PER_SECOND),
  };
}
