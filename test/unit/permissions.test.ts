// `zfsync permissions`: what a non-root user needs per host, role and dataset, from the spec alone.
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { describe, it } from 'node:test';
import { permissionNeeds, type Grant, type HostNeeds } from '../../src/permissions/needs.js';
import { allowLine, grantNote, permissionsDocument, renderPermissionsText } from '../../src/permissions/render.js';
import { parseSpec } from '../../src/spec/load.js';
import { specFile, zfsync } from '../helpers/cli.js';

const needs = (yaml: string, localUser = 'alice'): HostNeeds[] => permissionNeeds(parseSpec(yaml, 'zfsync.yaml'), { localUser });
const host = (hs: HostNeeds[], name: string): HostNeeds => {
  const h = hs.find((x) => x.host === name);
  assert.ok(h, `no needs for host ${name}: ${hs.map((x) => x.host).join(', ')}`);
  return h;
};
const grant = (h: HostNeeds, role: Grant['role'], dataset: string): Grant => {
  const g = h.grants.find((x) => x.role === role && x.dataset === dataset);
  assert.ok(g, `no ${role} grant on ${dataset}: ${h.grants.map((x) => `${x.role} ${x.dataset}`).join(', ')}`);
  return g;
};
const perms = (g: Grant): string[] => g.permissions.map((p) => p.name);
const reasons = (g: Grant, perm: string): string => g.permissions.find((p) => p.name === perm)?.reasons.join('; ') ?? '';

/** The permissions zfs-allow(8) (OpenZFS) lists, of the kinds zfsync can emit: subcommands, `userprop`, properties. */
const ZFS_ALLOW_PERMISSIONS = new Set([
  'allow', 'bookmark', 'clone', 'create', 'destroy', 'diff', 'hold', 'load-key', 'change-key', 'mount', 'promote',
  'receive', 'release', 'rename', 'rollback', 'send', 'share', 'snapshot', 'userprop',
  'aclinherit', 'aclmode', 'acltype', 'atime', 'canmount', 'checksum', 'compression', 'copies', 'dedup', 'devices',
  'exec', 'logbias', 'mountpoint', 'primarycache', 'quota', 'readonly', 'recordsize', 'refquota', 'relatime',
  'reservation', 'secondarycache', 'setuid', 'snapdir', 'sync', 'xattr',
]);

// A local source replicated to a NAS reached over ssh: the spec of the README, with an ssh host.
const BASIC = `version: 1
hosts:
  nas:
    ssh: { host: nas.example.com, user: backup }
sources:
  vms: { datasets: [tank/vm] }
targets:
  offsite: { host: nas, dataset: backup/pve1 }
replicate:
  - { from: vms, to: offsite }
`;

describe('permissions: needs from the spec', () => {
  it('a source sends (send, hold for -I); a target receives on the parent of its dataset', () => {
    const hs = needs(BASIC);
    assert.deepEqual(hs.map((h) => [h.host, h.user, h.userFrom]), [['local', 'alice', 'local'], ['nas', 'backup', 'ssh']]);

    const src = host(hs, 'local');
    assert.deepEqual(src.grants.map((g) => [g.role, g.dataset, perms(g)]), [['source', 'tank/vm', ['bookmark', 'hold', 'release', 'send', 'userprop']]]);
    assert.match(reasons(grant(src, 'source', 'tank/vm'), 'hold'), /zfs send -I/);

    const nas = host(hs, 'nas');
    assert.equal(nas.address, 'nas.example.com');
    assert.deepEqual(nas.grants.map((g) => [g.role, g.dataset]), [['target', 'backup']]);
    const t = grant(nas, 'target', 'backup');
    assert.deepEqual(t.for, [{ name: 'offsite', dataset: 'backup/pve1', viaParent: true }]);
    assert.deepEqual(perms(t), ['canmount', 'create', 'destroy', 'hold', 'mount', 'readonly', 'receive', 'release', 'userprop']);
    assert.match(reasons(t, 'receive'), /^to receive replicated snapshots/);
    assert.match(reasons(t, 'create'), /receive needs create/);
    assert.match(reasons(t, 'create'), /missing parents/);
    assert.match(reasons(t, 'mount'), /create, destroy and receive need it too; zfsync never mounts/);
    assert.match(reasons(t, 'destroy'), /zfs receive -A/);
    assert.match(reasons(t, 'canmount'), /canmount=off/);
    assert.match(reasons(t, 'canmount'), /canmount=noauto/);
    assert.match(reasons(t, 'userprop'), /zfsync:placeholder/);
    assert.deepEqual(nas.warnings, []);
  });

  it('snapshot_every adds snapshot and mount; source retention adds destroy', () => {
    const hs = needs(BASIC.replace('vms: { datasets: [tank/vm] }', 'vms: { datasets: [tank/vm, tank/ct], snapshot_every: 1h, retention: { daily: 7 } }'));
    const src = host(hs, 'local');
    assert.deepEqual(src.grants.map((g) => [g.dataset, perms(g)]), [
      ['tank/ct', ['bookmark', 'destroy', 'hold', 'mount', 'release', 'send', 'snapshot', 'userprop']],
      ['tank/vm', ['bookmark', 'destroy', 'hold', 'mount', 'release', 'send', 'snapshot', 'userprop']],
    ]);
    const g = grant(src, 'source', 'tank/vm');
    assert.match(reasons(g, 'snapshot'), /snapshot_every/);
    assert.match(reasons(g, 'destroy'), /retention/);
    assert.match(reasons(g, 'mount'), /destroy and snapshot need it too/);
  });

  it('a source that selects by property cannot be granted from the spec: a warning says what to grant where', () => {
    const hs = needs(BASIC.replace('vms: { datasets: [tank/vm] }', 'vms: { property: "zfsync:vms", snapshot_every: 1h }'));
    const src = host(hs, 'local');
    assert.deepEqual(src.grants.filter((g) => g.role === 'source'), []);
    assert.equal(src.warnings.length, 1, src.warnings.join('\n'));
    assert.match(src.warnings[0]!, /^sources\.vms selects datasets by the property zfsync:vms, which only the host knows: grant send, hold, snapshot \(and mount\) on each pool/);
  });

  it('only what is used counts: sources and targets in no pair are left out, snapshotting sources are not', () => {
    const hs = needs(`version: 1
hosts:
  nas: { ssh: { host: nas.example.com, user: backup } }
  spare: { ssh: { host: spare.example.com, user: backup } }
sources:
  vms: { datasets: [tank/vm] }
  logs: { datasets: [tank/log], snapshot_every: 15m }
  idle: { datasets: [tank/idle], retention: { daily: 1 } }
targets:
  offsite: { host: nas, dataset: backup/pve1 }
  unused: { host: spare, dataset: cold/pve1, on_divergence: rollback }
replicate:
  - { from: vms, to: offsite }
`);
    assert.deepEqual(hs.map((h) => h.host), ['local', 'nas']);
    const src = host(hs, 'local');
    assert.deepEqual(src.grants.map((g) => [g.dataset, perms(g)]), [
      ['tank/log', ['mount', 'snapshot']],
      ['tank/vm', ['bookmark', 'hold', 'release', 'send', 'userprop']],
    ]);
    assert.deepEqual(host(hs, 'nas').grants.map((g) => g.dataset), ['backup']);
  });

  it('the nothing-to-do spec needs nothing', () => {
    assert.deepEqual(needs('version: 1\nsources:\n  vms: { datasets: [tank/vm] }\n'), []);
  });

  it('target options: rollback, retention, readonly, mount, properties and exclude_properties', () => {
    const hs = needs(`version: 1
hosts:
  nas: { ssh: { host: nas.example.com, user: backup } }
sources:
  vms: { datasets: [tank/vm] }
targets:
  offsite:
    host: nas
    dataset: backup/pve1
    on_divergence: rollback
    retention: { weekly: 4 }
    receive:
      readonly: false
      mount: true
      properties: { compression: lz4, "com.example:owner": ops }
      exclude_properties: [atime, "com.example:note"]
replicate:
  - { from: vms, to: offsite }
`);
    const nas = host(hs, 'nas');
    const t = grant(nas, 'target', 'backup');
    assert.deepEqual(perms(t), ['atime', 'canmount', 'compression', 'create', 'destroy', 'hold', 'mount', 'receive', 'release', 'rollback', 'userprop']);
    assert.match(reasons(t, 'rollback'), /on_divergence: rollback/);
    assert.match(reasons(t, 'destroy'), /destroyed by name first \(zfs destroy\)/);
    assert.match(reasons(t, 'destroy'), /retention/);
    assert.match(reasons(t, 'compression'), /receive\.properties sets compression=lz4 \(zfs receive -o; zfs set after the receive on ZFS without -o\)/);
    assert.match(reasons(t, 'atime'), /zfs receive -x/);
    // User properties need `userprop`, never their own name.
    assert.match(reasons(t, 'userprop'), /com\.example:owner=ops/);
    assert.match(reasons(t, 'userprop'), /com\.example:note/);
    assert.doesNotMatch(reasons(t, 'canmount'), /received datasets get canmount=noauto/, 'mount: true: received datasets keep canmount');
    assert.match(reasons(t, 'canmount'), /set to canmount=on after the receive/);
    assert.match(reasons(t, 'mount'), /create, destroy, receive and rollback need it too/);
    assert.equal(nas.warnings.length, 1);
    assert.match(nas.warnings[0]!, /targets\.offsite\.receive\.mount is true.*only root can mount: use sudo/);
  });

  it('merges targets on the same parent into one grant, reasons once each', () => {
    const hs = needs(`version: 1
hosts:
  nas: { ssh: { host: nas.example.com, user: backup } }
sources:
  vms: { datasets: [tank/vm] }
  home: { datasets: [tank/home] }
targets:
  b: { host: nas, dataset: backup/pve2, receive: { readonly: false } }
  a: { host: nas, dataset: backup/pve1, on_divergence: rollback }
replicate:
  - { from: vms, to: a }
  - { from: home, to: b }
`);
    const nas = host(hs, 'nas');
    assert.equal(nas.grants.length, 1);
    const t = grant(nas, 'target', 'backup');
    assert.deepEqual(t.for.map((f) => [f.name, f.dataset, f.viaParent]), [['a', 'backup/pve1', true], ['b', 'backup/pve2', true]]);
    assert.deepEqual(perms(t), ['canmount', 'create', 'destroy', 'hold', 'mount', 'readonly', 'receive', 'release', 'rollback', 'userprop']);
    for (const p of t.permissions) assert.equal(new Set(p.reasons).size, p.reasons.length, `${p.name}: duplicate reasons`);
    assert.equal(grantNote(t), 'on backup (the parent of backup/pve1 and backup/pve2, because zfsync creates them): targets a, b');
  });

  it('a target dataset that is a pool gets the grant on itself', () => {
    const hs = needs(BASIC.replace('dataset: backup/pve1', 'dataset: backup'));
    const t = grant(host(hs, 'nas'), 'target', 'backup');
    assert.deepEqual(t.for, [{ name: 'offsite', dataset: 'backup', viaParent: false }]);
    assert.equal(grantNote(t), 'on backup: target offsite');
  });

  it('source and target roles on one host stay apart, sources first', () => {
    const hs = needs('version: 1\nsources:\n  vms: { datasets: [tank/vm] }\ntargets:\n  bk: { dataset: tank/backup/vm }\nreplicate:\n  - { from: vms, to: bk }\n');
    assert.deepEqual(hs.map((h) => h.host), ['local']);
    assert.deepEqual(host(hs, 'local').grants.map((g) => [g.role, g.dataset]), [['source', 'tank/vm'], ['target', 'tank/backup']]);
  });

  it('users: ssh.user, the local user, or a placeholder; the sudo rule needs an absolute zfs path', () => {
    const hs = needs(`version: 1
hosts:
  nas: { ssh: { host: nas.example.com }, zfs: /sbin/zfs, sudo: true }
sources:
  vms: { datasets: [tank/vm] }
targets:
  offsite: { host: nas, dataset: backup/pve1 }
replicate:
  - { from: vms, to: offsite }
`, 'carol');
    const local = host(hs, 'local');
    assert.equal(local.user, 'carol');
    assert.deepEqual(local.sudoRule, { line: 'carol ALL=(root) NOPASSWD: /usr/sbin/zfs', zfs: '/usr/sbin/zfs', zfsGuessed: true });
    const nas = host(hs, 'nas');
    assert.deepEqual([nas.user, nas.userFrom, nas.sudo], ['<ssh user>', 'unknown', true]);
    assert.deepEqual(nas.sudoRule, { line: '<ssh user> ALL=(root) NOPASSWD: /sbin/zfs', zfs: '/sbin/zfs', zfsGuessed: false });
    assert.equal(allowLine(nas.user, grant(nas, 'target', 'backup')), 'zfs allow -u <ssh user> canmount,create,destroy,hold,mount,readonly,receive,release,userprop backup');
  });

  it('every permission emitted is one zfs-allow(8) knows, in a stable (sorted) order', () => {
    const hs = needs(`version: 1
hosts:
  nas: { ssh: { host: nas.example.com, user: backup } }
sources:
  vms: { datasets: [tank/vm], snapshot_every: 1h, retention: { daily: 7 } }
targets:
  offsite:
    host: nas
    dataset: backup/pve1
    on_divergence: rollback
    retention: { daily: 30 }
    receive: { properties: { compression: zstd, "org.x:y": z }, exclude_properties: [mountpoint] }
replicate:
  - { from: vms, to: offsite }
`);
    for (const h of hs) {
      for (const g of h.grants) {
        const names = perms(g);
        assert.deepEqual(names, [...names].sort(), `${h.host} ${g.dataset}: sorted`);
        for (const p of names) assert.ok(ZFS_ALLOW_PERMISSIONS.has(p), `${p} is not a zfs-allow(8) permission`);
        for (const p of g.permissions) assert.ok(p.reasons.length > 0, `${p.name} has a reason`);
      }
    }
    assert.deepEqual(needs(BASIC), needs(BASIC), 'deterministic');
  });
});

describe('permissions: rendering', () => {
  it('quotes datasets for the shell and says why a grant is on a parent', () => {
    const hs = needs(BASIC.replace('dataset: backup/pve1', 'dataset: "back up/pve 1"').replace('[tank/vm]', '["tank/vm 1"]'));
    const local = host(hs, 'local');
    assert.equal(allowLine(local.user, local.grants[0]!), "zfs allow -u alice bookmark,hold,release,send,userprop 'tank/vm 1'");
    const t = grant(host(hs, 'nas'), 'target', 'back up');
    assert.equal(allowLine('backup', t), "zfs allow -u backup canmount,create,destroy,hold,mount,readonly,receive,release,userprop 'back up'");
    assert.equal(grantNote(t), 'on back up (the parent of back up/pve 1, because zfsync creates back up/pve 1): target offsite');
  });

  it('text: per host, then role, with the zfs allow line, the reasons and the sudo rule', () => {
    const text = renderPermissionsText('zfsync.yaml', needs(BASIC));
    const lines = text.split('\n');
    const at = (s: string) => {
      const i = lines.findIndex((l) => l.trim() === s);
      assert.ok(i >= 0, `missing line: ${s}\n${text}`);
      return i;
    };
    const local = at('host local (this machine): user alice, who runs zfsync');
    const nas = at('host nas (ssh nas.example.com): user backup');
    assert.ok(local < at('zfs allow -u alice bookmark,hold,release,send,userprop tank/vm') && at('zfs allow -u alice bookmark,hold,release,send,userprop tank/vm') < nas);
    assert.ok(nas < at('target'));
    assert.ok(at('on backup (the parent of backup/pve1, because zfsync creates backup/pve1): target offsite') > nas);
    assert.ok(at('zfs allow -u backup canmount,create,destroy,hold,mount,readonly,receive,release,userprop backup') > nas);
    assert.ok(at('backup ALL=(root) NOPASSWD: /usr/sbin/zfs') > nas);
    assert.match(text, /^ +receive +to receive replicated snapshots \(zfs receive\)$/m);
    assert.match(text, /hosts\.nas\.sudo: true makes zfsync run zfs, and only zfs, through `sudo -n`/);
    assert.match(text, /hosts\.nas\.zfs is `zfs`, so \/usr\/sbin\/zfs is a guess:\n.*check `command -v zfs` on nas/);
    assert.match(text, /on Linux a\n +non-root user still cannot mount: that is why zfsync receives unmounted \(zfs receive -u/);
    assert.match(text, /zfs allow needs ZFS with delegation/);
    assert.match(text, /no host was contacted/);
  });

  it('JSON: a versioned document, roles with permissions and why', () => {
    const doc = permissionsDocument(needs(BASIC));
    assert.deepEqual(doc, {
      format: 'zfsync-permissions',
      version: 1,
      hosts: [
        {
          host: 'local',
          user: 'alice',
          roles: [{
            role: 'source',
            dataset: 'tank/vm',
            permissions: ['bookmark', 'hold', 'release', 'send', 'userprop'],
            why: [
              'bookmark: on OpenZFS the base is bookmarked on the source, so an incremental can start from it once it is pruned (zfs bookmark)',
              "hold: zfs send -I puts temporary holds on the snapshots it sends, released when the send ends; on OpenZFS each pair's newest common snapshot is held (zfs hold) so that no pruning forces a full resend",
              "release: the previous base's hold is released once the new one is placed (zfs release)",
              'send: to send snapshots (zfs send, and zfs send -I for incrementals; -w, -L, -e and -c need nothing more)',
              'userprop: zfsync records its hold tags on the held snapshots (zfsync:holds, zfsync:hold:<tag>; zfs set, zfs inherit)',
            ],
          }],
          sudoers: 'alice ALL=(root) NOPASSWD: /usr/sbin/zfs',
        },
        {
          host: 'nas',
          user: 'backup',
          roles: [{
            role: 'target',
            dataset: 'backup',
            permissions: ['canmount', 'create', 'destroy', 'hold', 'mount', 'readonly', 'receive', 'release', 'userprop'],
            why: doc.hosts[1]!.roles[0]!.why,
          }],
          sudoers: 'backup ALL=(root) NOPASSWD: /usr/sbin/zfs',
        },
      ],
    });
    const why = doc.hosts[1]!.roles[0]!.why;
    assert.deepEqual(why.slice(0, 9).map((w) => w.split(':')[0]), ['canmount', 'create', 'destroy', 'hold', 'mount', 'readonly', 'receive', 'release', 'userprop']);
    assert.equal(why[9], 'on backup (the parent of backup/pve1, because zfsync creates backup/pve1): target offsite');
  });
});

describe('cli: zfsync permissions', () => {
  it('prints the zfs allow lines and the sudo rule for a spec with ssh hosts and retention; contacts nothing', async (t) => {
    const { spec } = await specFile(t, BASIC.replace('[tank/vm] }', '[tank/vm], snapshot_every: 1h, retention: { daily: 7 } }'));
    const r = await zfsync(['permissions', '-c', spec]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const me = userInfo().username;
    assert.match(r.stdout, new RegExp(`^ +zfs allow -u ${me} bookmark,destroy,hold,mount,release,send,snapshot,userprop tank/vm$`, 'm'));
    assert.match(r.stdout, /^ +zfs allow -u backup canmount,create,destroy,hold,mount,readonly,receive,release,userprop backup$/m);
    assert.match(r.stdout, /^ +backup ALL=\(root\) NOPASSWD: \/usr\/sbin\/zfs$/m);
    assert.doesNotMatch(r.stdout + r.stderr, /not supported yet/);
  });

  it('--json prints the versioned document', async (t) => {
    const { spec } = await specFile(t, BASIC);
    const r = await zfsync(['permissions', '-c', spec, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ReturnType<typeof permissionsDocument>;
    assert.equal(doc.format, 'zfsync-permissions');
    assert.equal(doc.version, 1);
    assert.deepEqual(doc.hosts.map((h) => [h.host, h.user]), [['local', userInfo().username], ['nas', 'backup']]);
    assert.deepEqual(doc.hosts[1]!.roles.map((x) => [x.role, x.dataset, x.permissions.join(',')]), [['target', 'backup', 'canmount,create,destroy,hold,mount,readonly,receive,release,userprop']]);
  });

  it('a spec with nothing to replicate says so', async (t) => {
    const { spec } = await specFile(t, 'version: 1\nsources:\n  vms: { datasets: [tank/vm] }\n');
    const r = await zfsync(['permissions', '-c', spec]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Nothing to grant: the spec replicates nothing and takes no snapshots\./);
    assert.deepEqual(JSON.parse((await zfsync(['permissions', '-c', spec, '--json'])).stdout), { format: 'zfsync-permissions', version: 1, hosts: [] });
  });

  it('a bad spec is an error with its position, and exit 1', async (t) => {
    const { spec } = await specFile(t, 'version: 1\nsources:\n  vms: { datasets: [tank/vm] }\ntargets:\n  bk: { dataset: 42 }\nreplicate:\n  - { from: vms, to: bk }\n');
    const r = await zfsync(['permissions', '-c', spec]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: .*zfsync\.yaml:5:\d+: targets\.bk\.dataset: must be a string/);
    assert.equal((await zfsync(['permissions', '-c', '/nonexistent/zfsync.yaml'])).code, 1);
  });
});
