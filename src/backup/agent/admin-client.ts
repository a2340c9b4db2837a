/**
 * @module backup/agent/admin-client
 * The admin client a backup command or the agent uses (admin/client.ts), with the backup
 * settings' timeout.
 */
import { AdminClient, resolveAdminTarget } from '../../admin/client.js';
import type { BackupSettings } from './settings.js';

/** The client a backup command or the agent uses: the target from `s` and `o`, backup.timeout per request. */
export function adminClientFor(s: BackupSettings, o: { readonly admin?: string; readonly env: NodeJS.ProcessEnv }): AdminClient {
  return new AdminClient(resolveAdminTarget(s.config, o), s.backup.timeout, 'backup.timeout');
}
