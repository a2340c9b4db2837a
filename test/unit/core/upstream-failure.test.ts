/**
 * @module test/unit/core/upstream-failure.test
 * The one table of forwarding failures: each code maps to how the attempt ended for the
 * server's record, the client's status, and the access log's BLWK_ code.
 */
import { describe, expect, it } from 'vitest';
import { BulwarkError, ErrorCodes } from '../../../src/core/errors.js';
import { upstreamFailure } from '../../../src/core/upstream-failure.js';

const err = (code: string, cause?: unknown): Error => Object.assign(new Error(code), { code, cause });

describe('upstreamFailure', () => {
  it.each([
    ['ECONNREFUSED', 'connect_failure', 502, 'BLWK_UPSTREAM_CONNECT'],
    ['ENOTFOUND', 'connect_failure', 502, 'BLWK_UPSTREAM_CONNECT'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect_failure', 504, 'BLWK_UPSTREAM_CONNECT'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', 504, 'BLWK_UPSTREAM_TIMEOUT'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', 504, 'BLWK_UPSTREAM_TIMEOUT'],
    ['ECONNRESET', 'reset', 502, 'BLWK_UPSTREAM_RESET'],
    ['UND_ERR_SOCKET', 'reset', 502, 'BLWK_UPSTREAM_RESET'],
    ['HPE_INVALID_CONSTANT', 'bad_response', 502, 'BLWK_UPSTREAM_BAD_RESPONSE'],
    ['HPE_SOMETHING_NEW', 'bad_response', 502, 'BLWK_UPSTREAM_BAD_RESPONSE'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'bad_response', 502, 'BLWK_UPSTREAM_BAD_RESPONSE'],
    ['UND_ERR_INFO', 'bad_response', 502, 'BLWK_UPSTREAM_BAD_RESPONSE'],
    ['UND_ERR_ABORTED', 'cancelled', 502, 'BLWK_CLIENT_ABORTED'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'connect_failure', 502, 'BLWK_UPSTREAM_TLS'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'connect_failure', 502, 'BLWK_UPSTREAM_TLS'],
    ['CERT_HAS_EXPIRED', 'connect_failure', 502, 'BLWK_UPSTREAM_TLS'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'connect_failure', 502, 'BLWK_UPSTREAM_TLS'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'connect_failure', 502, 'BLWK_UPSTREAM_TLS'],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'connect_failure', 502, 'BLWK_UPSTREAM_TLS'],
    ['SOMETHING_ELSE', 'reset', 502, 'BLWK_UPSTREAM_RESET'],
  ])('%s: %s, %i, %s', (code, result, status, blwk) => {
    const f = upstreamFailure(err(code));
    expect(f).toEqual({ outcome: { result, status: 0, code }, status, code: blwk });
  });

  it('classifies a wrapper by the first code in its cause chain that the table knows', () => {
    const f = upstreamFailure(err('WRAPPER', err('OTHER', err('UND_ERR_HEADERS_TIMEOUT'))));
    expect(f).toMatchObject({ outcome: { result: 'timeout', code: 'WRAPPER' }, status: 504, code: 'BLWK_UPSTREAM_TIMEOUT' });
    expect(upstreamFailure(new Error('no code'))).toMatchObject({ outcome: { result: 'reset', code: 'ERROR' }, status: 502 });
    expect(upstreamFailure(null)).toMatchObject({ outcome: { result: 'reset' }, status: 502 });
  });

  it("keeps a BulwarkError's own status and code; the client's faults are not the server's", () => {
    const tooLarge = upstreamFailure(new BulwarkError(ErrorCodes.BODY_TOO_LARGE, 'too big', 413));
    expect(tooLarge).toEqual({ outcome: { result: 'cancelled', status: 0, code: 'BLWK_BODY_TOO_LARGE' }, status: 413, code: 'BLWK_BODY_TOO_LARGE' });
    const aborted = upstreamFailure(new BulwarkError(ErrorCodes.CLIENT_ABORTED, 'gone', 499));
    expect(aborted).toMatchObject({ outcome: { result: 'cancelled' }, status: 499, code: 'BLWK_CLIENT_ABORTED' });
  });
});
