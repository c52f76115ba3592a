import { userInfo } from 'node:os';
import { permissionNeeds } from '../../permissions/needs.js';
import { permissionsDocument, renderPermissionsText } from '../../permissions/render.js';
import { loadSpec } from '../../spec/load.js';
import { out, type Io } from '../io.js';

/** The name of the user running zfsync (what `local` runs zfs as). */
function currentUser(io: Io): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): fall back to the environment.
    return io.env.USER ?? io.env.LOGNAME ?? '<local user>';
  }
}

/**
 * Prints what a non-root user needs on each host: `zfs allow` lines per role and dataset, and
 * the sudo alternative. Reads only the spec (loaded without the "not supported yet" gate, so
 * that ssh hosts and retention count); contacts no host.
 */
export async function permissionsCommand(io: Io, flags: { config: string; json?: boolean }): Promise<number> {
  const spec = await loadSpec(flags.config);
  const hosts = permissionNeeds(spec, { localUser: currentUser(io) });
  if (flags.json) out(io, JSON.stringify(permissionsDocument(hosts), null, 2));
  else out(io, renderPermissionsText(spec.file, hosts));
  return 0;
}
