// `zfsync permissions` output: human text, and a versioned JSON document.
import { shellQuote } from '../host/quote.js';
import type { Grant, HostNeeds } from './needs.js';
import { UNKNOWN_SSH_USER } from './needs.js';

export interface PermissionsDocument {
  format: 'zfsync-permissions';
  version: 1;
  hosts: {
    host: string;
    user: string;
    roles: { role: Grant['role']; dataset: string; permissions: string[]; why: string[] }[];
    sudoers: string;
  }[];
}

/** `zfs allow -u <user> <perm,...> <dataset>`, shell-quoted (the unknown-user placeholder is left as it is). */
export function allowLine(user: string, grant: Grant): string {
  const who = user === UNKNOWN_SSH_USER ? user : shellQuote(user);
  return `zfs allow -u ${who} ${grant.permissions.map((p) => p.name).join(',')} ${shellQuote(grant.dataset)}`;
}

/** Why the grant is on its dataset: which spec entries it serves, and why on a parent. */
export function grantNote(grant: Grant): string {
  const names = [...new Set(grant.for.map((f) => f.name))];
  const whose = `${grant.role}${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
  const created = [...new Set(grant.for.filter((f) => f.viaParent).map((f) => f.dataset))];
  if (created.length === 0) return `on ${grant.dataset}: ${whose}`;
  const them = created.length === 1 ? created[0]! : 'them';
  return `on ${grant.dataset} (the parent of ${created.join(' and ')}, because zfsync creates ${them}): ${whose}`;
}

function userLine(h: HostNeeds): string {
  switch (h.userFrom) {
    case 'local':
      return `host ${h.host} (this machine): user ${h.user}, who runs zfsync`;
    case 'ssh':
      return `host ${h.host} (ssh ${h.address ?? h.host}): user ${h.user}`;
    case 'unknown':
      return `host ${h.host} (ssh ${h.address ?? h.host}): user ${UNKNOWN_SSH_USER}: hosts.${h.host}.ssh.user is not set, so it is the user ssh logs in as there (~/.ssh/config, or your login name)`;
  }
}

export function renderPermissionsText(specFile: string, hosts: readonly HostNeeds[]): string {
  const lines: string[] = [];
  lines.push(`What each host's user needs for zfsync to run there without root, from ${specFile}`);
  lines.push('(read from the spec alone; no host was contacted). Run the zfs allow lines as root on that');
  lines.push('host, or give the user the sudo rule instead.');
  if (hosts.length === 0) {
    lines.push('', 'Nothing to grant: the spec replicates nothing and takes no snapshots.');
    return lines.join('\n') + '\n';
  }
  for (const h of hosts) {
    lines.push('', userLine(h));
    if (h.userFrom === 'local' && h.user === 'root') lines.push('  root needs neither; this is for running zfsync as another user.');
    for (const role of ['source', 'target'] as const) {
      const grants = h.grants.filter((g) => g.role === role);
      if (grants.length === 0) continue;
      lines.push(`  ${role}`);
      for (const g of grants) {
        lines.push(`    ${grantNote(g)}`);
        lines.push(`      ${allowLine(h.user, g)}`);
        const width = Math.max(...g.permissions.map((p) => p.name.length));
        for (const p of g.permissions) lines.push(`        ${p.name.padEnd(width)}  ${p.reasons.join('; ')}`);
      }
    }
    for (const w of h.warnings) lines.push(`  warning: ${w}`);
    lines.push(`  or, with sudo instead (a file in /etc/sudoers.d, edited with visudo -f):`);
    lines.push(`      ${h.sudoRule.line}`);
    lines.push(`    hosts.${h.host}.sudo: true makes zfsync run zfs, and only zfs, through \`sudo -n\`${h.sudo ? ' (set in this spec)' : ''}.`);
    if (h.sudoRule.zfsGuessed) {
      lines.push(`    sudoers needs the absolute path of zfs; hosts.${h.host}.zfs is \`${h.zfs}\`, so ${h.sudoRule.zfs} is a guess:`);
      const where = h.userFrom === 'local' ? 'this machine' : h.host;
      lines.push(`    check \`command -v zfs\` on ${where} (and set hosts.${h.host}.zfs to that path).`);
    } else {
      lines.push(`    The zfs path in sudoers must be absolute, as it is here (hosts.${h.host}.zfs).`);
    }
  }
  lines.push('');
  lines.push('Notes');
  lines.push('- A permission granted on a dataset holds for all its descendants.');
  lines.push('- zfs-allow(8) requires mount with create, destroy, receive, rollback and snapshot, but on Linux a');
  lines.push('  non-root user still cannot mount: that is why zfsync receives unmounted (zfs receive -u, or');
  lines.push('  canmount=noauto) and creates parents with canmount=off.');
  lines.push('- zfs allow needs ZFS with delegation: OpenZFS, with the pool property delegation=on (pool version 8');
  lines.push('  or later). On older ZFS without it (zfs-fuse cannot run zfs allow at all), use the sudo rule.');
  lines.push('- apply locks what it writes with flock(1) (util-linux; FreeBSD: the sysutils/flock port) on files in');
  lines.push('  /run/lock, which every user may write: it needs no permission, only flock on each host it writes to.');
  return lines.join('\n') + '\n';
}

export function permissionsDocument(hosts: readonly HostNeeds[]): PermissionsDocument {
  return {
    format: 'zfsync-permissions',
    version: 1,
    hosts: hosts.map((h) => ({
      host: h.host,
      user: h.user,
      roles: h.grants.map((g) => {
        const why = g.permissions.map((p) => `${p.name}: ${p.reasons.join('; ')}`);
        if (g.for.some((f) => f.viaParent)) why.push(grantNote(g));
        return { role: g.role, dataset: g.dataset, permissions: g.permissions.map((p) => p.name), why };
      }),
      sudoers: h.sudoRule.line,
    })),
  };
}
