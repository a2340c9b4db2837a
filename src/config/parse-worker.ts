/**
 * @module config/parse-worker
 * The worker-thread entry of parseConfigOffThread (config/load): parses and validates the
 * text it is given and posts the ParseResult back (plain data: it is structured-cloned).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfig, type ParseOptions } from './load.js';

const { text, file, opts } = workerData as { text: string; file: string; opts: ParseOptions };
parentPort!.postMessage(parseConfig(text, file, opts));
