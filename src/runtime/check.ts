/**
 * @module runtime/check
 * `bulwark check`: reads -c FILE for the admin address and token (as the backup commands do,
 * admin/client.ts), asks the running proxy's GET /status and evaluates it (admin/check.ts).
 * Never throws: whatever stops the check is an UNKNOWN result naming it, as the Nagios
 * plugin API wants (a plugin that cannot tell must not say OK or CRITICAL). With
 * --max-error-rate it reads /status twice, `intervalMs` apart: the error rate is the one
 * within that window (admin/error-rate.ts says why).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminClient, errorText, resolveAdminTarget } from '../admin/client.js';
import { evaluateStatus, unknownResult, type CheckOptions, type CheckResult } from '../admin/check.js';
import { loadConfigFile } from '../config/index.js';

export interface CheckRequest extends CheckOptions {
  readonly configFile: string;
  /** --admin URL; else BULWARK_ADMIN_URL, else admin.listen from the file. */
  readonly admin?: string;
  readonly env: NodeJS.ProcessEnv;
  /** How long the admin API may stay silent, ms. */
  readonly timeoutMs: number;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** GET /status as parsed JSON, or the UNKNOWN result saying why there is none. */
async function readStatus(client: AdminClient, tokenEnv: string | undefined): Promise<{ doc: unknown } | CheckResult> {
  let reply;
  try {
    reply = await client.request('GET', '/status');
  } catch (err) {
    return unknownResult(message(err));
  }
  if (reply.status === 401 || reply.status === 403) {
    const token = tokenEnv === undefined ? 'FILE names no admin.token_env, so none was sent' : `the token is from $${tokenEnv}`;
    return unknownResult(`the admin API at ${client.url} refused the request (${reply.status}): a missing or wrong token; ${token}`);
  }
  if (reply.status !== 200) return unknownResult(`the admin API at ${client.url} answered GET /status with ${reply.status}: ${errorText(reply.text)}`);
  try {
    return { doc: JSON.parse(reply.text) as unknown };
  } catch {
    return unknownResult(`the admin API at ${client.url} answered GET /status with something other than JSON`);
  }
}

export async function runCheck(req: CheckRequest): Promise<CheckResult> {
  let client: AdminClient;
  let tokenEnv: string | undefined;
  try {
    const { config } = await loadConfigFile(req.configFile);
    tokenEnv = config.admin.token_env;
    client = new AdminClient(resolveAdminTarget(config, { admin: req.admin, env: req.env }), req.timeoutMs, '--timeout');
  } catch (err) {
    return unknownResult(`cannot use config file ${req.configFile}: ${message(err)}`);
  }
  const first = await readStatus(client, tokenEnv);
  if (!('doc' in first) || req.maxErrorRate === undefined) return 'doc' in first ? evaluateStatus(first.doc, req) : first;
  await sleep(req.intervalMs ?? 0);
  const second = await readStatus(client, tokenEnv);
  return 'doc' in second ? evaluateStatus(second.doc, req, first.doc) : second;
}
