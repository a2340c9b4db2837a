/** describeError: what a command prints for a failure, with the stable BLWK_ code where a person reads first. */
import { describe, expect, it } from 'vitest';
import { BulwarkError, ConfigError, describeError, ErrorCodes } from '../../../src/core/errors.js';

describe('describeError', () => {
  it('puts the code after a one-line message', () => {
    expect(describeError(new BulwarkError(ErrorCodes.LISTEN, 'cannot listen on 127.0.0.1:80: EACCES'))).toBe('cannot listen on 127.0.0.1:80: EACCES [BLWK_LISTEN]');
  });

  it('puts the code on the head line of a config error, before its positioned issues', () => {
    const err = new ConfigError([
      { file: 'a.yaml', line: 3, column: 5, path: 'upstreams.web', rule: 'must have servers' },
      { file: 'a.yaml', line: 9, column: 1, path: 'routes', rule: 'must be a list' },
    ]);
    expect(describeError(err)).toBe('2 config errors [BLWK_CONFIG_INVALID]:\na.yaml:3:5: upstreams.web: must have servers\na.yaml:9:1: routes: must be a list');
  });

  it('prints anything else as its message', () => {
    expect([describeError(new Error('boom')), describeError('text')]).toEqual(['boom', 'text']);
  });
});
