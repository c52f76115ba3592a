// Send flags, encryption and receive properties: the state read of an encrypted tree recorded on
// OpenZFS 2.1.11 and 2.3.2 (test/fixtures/openzfs-*/send-flags.txt), the command lines proven
// there, and the planner's decisions on that state.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { actionSteps } from '../../src/apply/steps.js';
import { plan } from '../../src/plan/planner.js';
import { decideSendFlags, type FlagInput } from '../../src/plan/send-flags.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { parseSpec } from '../../src/spec/load.js';
import type { Capabilities, ConflictAction, Dataset, ReceiveOptions, SendAction, State } from '../../src/types.js';
import { parseProbe } from '../../src/zfs/capabilities.js';
import { placeholderArgv, receiveArgv, receivedPropertyArgvs, sendArgv } from '../../src/zfs/commands.js';
import { parseStateOutput } from '../../src/zfs/state-read.js';
import { HostBuilder, LEGACY, OPENZFS, stateOf } from '../helpers/state-builder.js';
import { problems, yaml } from '../helpers/spec-problems.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');
const between = (text: string, from: string, to: string): string => text.slice(text.indexOf(from + '\n') + from.length + 1, text.indexOf(to + '\n'));
const F = 'vmtank/flags-rec';
const NOW = new Date('2026-12-02T12:00:00Z');

const specText = (send = '', receive = '') =>
  yaml(
    'version: 1',
    'sources:',
    `  s: { datasets: [${F}/src], snapshot_every: 1h }`,
    'targets:',
    `  t: { dataset: ${F}/dst, strip_path: 2${receive} }`,
    'replicate:',
    `  - { from: s, to: t${send} }`,
  );

for (const version of ['2.1', '2.3'] as const) {
  const caps: Capabilities = parseProbe(fixture(`openzfs-${version}/probe.txt`));
  const text = fixture(`openzfs-${version}/send-flags.txt`);
  const listing = parseStateOutput(between(text, '@@listing', '@@end-listing'), caps);
  const changed = parseStateOutput(between(text, '@@changed', '@@end-changed'), caps);
  const get = (m: Map<string, Dataset>, n: string): Dataset => m.get(`${F}/${n}`) ?? assert.fail(`no ${n}`);
  const stateFrom = (datasets: Map<string, Dataset>): State => ({ hosts: { local: { host: 'local', capabilities: caps, roots: [F], missing: [], datasets } } });

  describe(`OpenZFS ${version}: encryption in the state read`, () => {
    it('probes encryption', () => assert.equal(caps.encryption, true));

    it('reads cipher, encryptionroot, keystatus, keyformat and salt of encrypted datasets only', () => {
      const enc = get(listing, 'src/enc').encryption!;
      assert.equal(enc.cipher, 'aes-256-gcm');
      assert.equal(enc.root, `${F}/src/enc`);
      assert.equal(enc.keyStatus, 'available');
      assert.equal(enc.keyFormat, 'passphrase');
      assert.match(enc.salt!, /^[1-9]\d+$/);
      assert.equal(get(listing, 'src/enc/child').encryption!.root, `${F}/src/enc`);
      assert.equal(get(listing, 'src/plain').encryption, undefined);
      assert.equal(get(listing, 'src').encryption, undefined);
      // a raw receive: encrypted, no key loaded, its own encryptionroot (the child too), the source's salt
      const replica = get(listing, 'dst/src/enc').encryption!;
      assert.deepEqual(replica, { ...enc, root: `${F}/dst/src/enc`, keyStatus: 'unavailable' });
      assert.equal(get(listing, 'dst/src/enc/child').encryption!.root, `${F}/dst/src/enc/child`);
      // change-key on the replica draws a new salt; its child keeps the old one
      assert.notEqual(get(changed, 'dst/src/enc').encryption!.salt, enc.salt);
      assert.equal(get(changed, 'dst/src/enc/child').encryption!.salt, enc.salt);
    });

    it('the recorded command lines are the ones zfsync builds', () => {
      const ran = text.split('\n').filter((l) => l.startsWith('$ zfs send')).map((l) => l.slice(2));
      const r: ReceiveOptions = { readonly: true, mount: false, force: false };
      const raw = { raw: true, largeBlocks: false, embedded: false, compressed: false };
      const lec = { raw: false, largeBlocks: true, embedded: true, compressed: true };
      const line = (src: string, flags: typeof raw, dst: string, opts: ReceiveOptions) =>
        `${sendArgv('zfs', { dataset: `${F}/${src}`, to: 's1', intermediates: false, flags }).join(' ')} | ${receiveArgv('zfs', caps, `${F}/${dst}`, opts, true).join(' ')}`;
      assert.deepEqual(ran, [
        line('src/enc', raw, 'dst/src/enc', r),
        line('src/enc/child', raw, 'dst/src/enc/child', r),
        line('src/plain', lec, 'dst/src/plain', { ...r, properties: { compression: 'zstd', mountpoint: '/mnt/flags-rec' }, exclude: ['atime'] }),
      ]);
      assert.equal(text.match(/^rc=0$/gm)?.length, 4);
      assert.match(text, /dst\/src\/plain\tmountpoint\t\/mnt\/flags-rec\tlocal\n/);
      assert.match(text, /mounted vmtank\/flags-rec\/dst\/src\/plain\nno\n/);
    });

    it('plans -w for the encrypted datasets and -L -e -c for the plain ones, in one pair', () => {
      const p = plan(parseSpec(specText(), 'zfsync.yaml'), stateFrom(listing), NOW);
      const sends = p.actions.filter((a): a is SendAction => a.kind === 'send');
      const flags = Object.fromEntries(sends.map((a) => [a.source.dataset.slice(F.length + 1), renderFlags(a)]));
      assert.deepEqual(flags, { 'src/enc': '-w', 'src/enc/child': '-w', 'src/plain': '-L -e -c' });
      // src itself was never received (its replica dst/src is a parent made by hand): a conflict, not a send
      assert.match(renderPlanText(p, { color: false }), /=> vmtank\/flags-rec\/dst\/src\/enc  \(-I, 1 snapshot, -w, /);
    });

    it('after a change-key on the replica, the raw incremental is a conflict with its remedy; the rest goes on', () => {
      const p = plan(parseSpec(specText(), 'zfsync.yaml'), stateFrom(changed), NOW);
      const c = p.actions.filter((a): a is ConflictAction => a.kind === 'conflict' && a.dataset === `${F}/dst/src/enc`);
      assert.equal(c.length, 1);
      assert.match(c[0]!.message, /the key of vmtank\/flags-rec\/dst\/src\/enc .*pbkdf2salt \d+\) is not the one of vmtank\/flags-rec\/src\/enc .*openzfs #12614/);
      assert.match(c[0]!.resolution, /rename or destroy vmtank\/flags-rec\/dst\/src\/enc and let zfsync resend it in full/);
      const sent = p.actions.filter((a): a is SendAction => a.kind === 'send').map((a) => a.source.dataset);
      assert.deepEqual(sent.sort(), [`${F}/src/enc/child`, `${F}/src/plain`]);
    });
  });
}

const renderFlags = (a: SendAction): string => (a.flags!.raw ? '-w' : [a.flags!.largeBlocks && '-L', a.flags!.embedded && '-e', a.flags!.compressed && '-c'].filter(Boolean).join(' '));

describe('decideSendFlags', () => {
  const enc = { cipher: 'aes-256-gcm', root: 'tank/e', keyStatus: 'available' as const, keyFormat: 'passphrase', salt: '7' };
  const src = (extra: Partial<Dataset> = {}): Dataset => ({ name: 'tank/e', type: 'filesystem', guid: '1', createtxg: 1, creation: 1, placeholder: false, snapshots: [], ...extra });
  const full = [{ kind: 'full' as const, to: { name: 's1' }, reason: 'r' }];
  const input = (over: Partial<FlagInput>): FlagInput => ({
    pairKey: 'replicate[0]',
    spec: { raw: 'auto', compressed: 'auto', largeBlocks: 'auto', embedded: 'auto' },
    sourceHost: 'local', targetHost: 'nas', sourceCaps: OPENZFS, targetCaps: OPENZFS,
    source: src(), targetName: 'bk/e', target: undefined, steps: full, ...over,
  });
  const conflictOf = (i: FlagInput): string => {
    const d = decideSendFlags(i);
    return 'conflict' in d ? `${d.conflict.message} | ${d.conflict.resolution}` : assert.fail('expected a conflict');
  };

  it('auto: -L -e -c between OpenZFS hosts, nothing towards legacy ZFS, -w for encrypted datasets', () => {
    assert.deepEqual(decideSendFlags(input({})), { flags: { raw: false, largeBlocks: true, embedded: true, compressed: true } });
    assert.deepEqual(decideSendFlags(input({ targetCaps: LEGACY })), { flags: { raw: false, largeBlocks: false, embedded: false, compressed: false } });
    assert.deepEqual(decideSendFlags(input({ source: src({ encryption: enc }) })), { flags: { raw: true, largeBlocks: false, embedded: false, compressed: false } });
    assert.deepEqual(decideSendFlags(input({ spec: { raw: 'auto', compressed: false, largeBlocks: 'auto', embedded: false } })), { flags: { raw: false, largeBlocks: true, embedded: false, compressed: false } });
  });

  it('an encrypted dataset towards a host without encryption is a conflict, unless raw: false sends it decrypted', () => {
    assert.match(conflictOf(input({ source: src({ encryption: enc }), targetCaps: LEGACY })), /tank\/e is encrypted and can only be sent raw \(-w\), but nas has no native encryption \| .*set replicate\[0\]\.send\.raw: false/);
    const spec = { raw: false, compressed: 'auto', largeBlocks: 'auto', embedded: 'auto' } as const;
    assert.deepEqual(decideSendFlags(input({ spec, source: src({ encryption: enc }), targetCaps: LEGACY })), { flags: { raw: false, largeBlocks: false, embedded: false, compressed: false } });
    assert.match(conflictOf(input({ spec, source: src({ encryption: { ...enc, keyStatus: 'unavailable' } }) })), /its key is not loaded on local.*\| load it \(zfs load-key tank\/e\)/);
  });

  it('true where a host lacks the flag is a conflict, never a silent downgrade', () => {
    assert.match(conflictOf(input({ spec: { raw: true, compressed: 'auto', largeBlocks: 'auto', embedded: 'auto' }, sourceCaps: LEGACY })), /replicate\[0\]\.send\.raw is true but local has no zfs send -w/);
    assert.match(conflictOf(input({ spec: { raw: 'auto', compressed: true, largeBlocks: 'auto', embedded: 'auto' }, targetCaps: LEGACY })), /replicate\[0\]\.send\.compressed is true but a host has no zfs send -c \(local -> nas\)/);
  });

  it('never recv -F onto encrypted data; raw incrementals need an encrypted target with the same key', () => {
    const inc = [{ kind: 'incremental' as const, from: { name: 's1' }, to: { name: 's2' }, count: 1, intermediates: true, force: true, reason: 'r' }];
    const target = src({ name: 'bk/e', encryption: { ...enc, root: 'bk/e', keyStatus: 'unavailable' } });
    assert.match(conflictOf(input({ steps: inc, target, source: src({ encryption: enc }) })), /bk\/e would need zfs receive -F, which zfsync never runs on encrypted data/);
    const plainTarget = src({ name: 'bk/e' });
    assert.match(conflictOf(input({ steps: [{ ...inc[0]!, force: false }], target: plainTarget, source: src({ encryption: enc }) })), /bk\/e is not encrypted, so a raw incremental .* set replicate\[0\]\.send\.raw: false/);
    assert.ok('flags' in decideSendFlags(input({ steps: [{ ...inc[0]!, force: false }], target, source: src({ encryption: enc }) })));
    assert.match(conflictOf(input({ steps: [{ ...inc[0]!, force: false }], target: src({ name: 'bk/e', encryption: { ...enc, salt: '8' } }), source: src({ encryption: enc }) })), /is not the one of tank\/e/);
  });
});

describe('receive properties', () => {
  const caps = parseProbe(fixture('openzfs-2.1/probe.txt'));
  const fuse = parseProbe(fixture('zfs-fuse/probe.txt'));
  const r: ReceiveOptions = { readonly: true, mount: false, force: false, properties: { compression: 'zstd', 'com.example:tag': 'a b' }, exclude: ['atime'] };

  it('OpenZFS: -o and -x on full and incremental receives; readonly/canmount only on full ones', () => {
    assert.deepEqual(receiveArgv('zfs', caps, 'bk/x', r, true), ['zfs', 'receive', '-u', '-o', 'readonly=on', '-o', 'canmount=noauto', '-o', 'compression=zstd', '-o', 'com.example:tag=a b', '-x', 'atime', 'bk/x']);
    assert.deepEqual(receiveArgv('zfs', caps, 'bk/x', r, false), ['zfs', 'receive', '-u', '-o', 'compression=zstd', '-o', 'com.example:tag=a b', '-x', 'atime', 'bk/x']);
    assert.deepEqual(receivedPropertyArgvs('zfs', caps, 'bk/x', r), []);
  });

  it('legacy ZFS: on the placeholder it creates, else zfs set after the receive; no -x (its streams carry no properties)', () => {
    assert.deepEqual(receiveArgv('zfs', fuse, 'bk/x', { ...r, placeholder: 'create' }, true), ['zfs', 'receive', '-F', 'bk/x']);
    assert.deepEqual(placeholderArgv('zfs', 'bk/x', r), ['zfs', 'create', '-o', 'readonly=on', '-o', 'canmount=noauto', '-o', 'compression=zstd', '-o', 'com.example:tag=a b', '-o', 'zfsync:placeholder=bk/x', 'bk/x']);
    assert.deepEqual(receivedPropertyArgvs('zfs', fuse, 'bk/x', r), [['zfs', 'set', 'compression=zstd', 'bk/x'], ['zfs', 'set', 'com.example:tag=a b', 'bk/x']]);
  });

  it('every receive that must not mount is checked for mounted=no afterwards; the spec properties reach the plan', () => {
    const h = new HostBuilder('local', OPENZFS).fs('tank/vm').snap('tank/vm', 's1');
    h.fs('bk');
    const spec = parseSpec(yaml('version: 1', 'sources:', '  s: { datasets: [tank/vm] }', 'targets:', '  t: { dataset: bk, receive: { properties: { mountpoint: /srv/x, compression: zstd }, exclude_properties: [atime] } }', 'replicate:', '  - { from: s, to: t }'), 'zfsync.yaml');
    const p = plan(spec, stateOf(h), NOW);
    const send = p.actions.find((a): a is SendAction => a.kind === 'send')!;
    assert.deepEqual(send.receive, { readonly: true, mount: false, force: false, properties: { mountpoint: '/srv/x', compression: 'zstd' }, exclude: ['atime'], resumable: true });
    const steps = actionSteps(send, () => ({ zfs: 'zfs', capabilities: OPENZFS }));
    assert.deepEqual(steps.map((s) => s.kind), ['pipe', 'unmounted', 'guids']);
  });

  it('spec: names are checked, readonly/canmount/encryption refused, mountpoint only unmounted, with positions', () => {
    const lines = (props: string, extra = '') => [
      'version: 1', 'sources:', '  s: { datasets: [tank/vm] }', 'targets:', '  t:', '    dataset: bk', '    receive:', `      properties: { ${props} }`, `      exclude_properties: [${extra}]`, 'replicate:', '  - { from: s, to: t }',
    ];
    assert.deepEqual(problems(...lines('readonly: "off", compresion: zstd, used: "1"', 'canmount')), [
      'zfsync.yaml:8:21: targets.t.receive.properties.readonly: readonly cannot be given here: set by receive.readonly',
      "zfsync.yaml:8:38: targets.t.receive.properties.compresion: unknown ZFS property 'compresion'; did you mean 'compression'?",
      'zfsync.yaml:8:56: targets.t.receive.properties.used: used is a read-only property',
      'zfsync.yaml:9:28: targets.t.receive.exclude_properties[0]: canmount cannot be given here: set by receive.mount (false: canmount=noauto, so nothing received is ever mounted)',
    ]);
    assert.deepEqual(problems(...lines('mountpoint: srv, keylocation: prompt', 'atime')), [
      'zfsync.yaml:8:33: targets.t.receive.properties.mountpoint: mountpoint must be an absolute path, none or legacy',
      'zfsync.yaml:8:38: targets.t.receive.properties.keylocation: keylocation cannot be given here: encryption comes from the stream or the target parent, never from receive options',
    ]);
    assert.deepEqual(problems(...lines('atime: "off"', 'atime')), ['zfsync.yaml:9:28: targets.t.receive.exclude_properties[0]: atime is also in receive.properties: give it in one of them']);
    assert.match(problems('version: 1', 'sources:', '  s: { datasets: [tank/vm] }', 'targets:', '  t: { dataset: bk, receive: { mount: true, properties: { mountpoint: /srv/x } } }', 'replicate:', '  - { from: s, to: t }')[0]!, /targets\.t\.receive\.properties\.mountpoint: a mountpoint with receive\.mount: true would mount .* at \/srv\/x/);
    assert.match(problems('version: 1', 'sources:', '  s: { datasets: [tank/vm] }', 'targets:', '  t: { dataset: bk, receive: { properties: { compression: "a\\tb" } } }', 'replicate:', '  - { from: s, to: t }')[0]!, /properties\.compression: must not contain control characters/);
    assert.match(problems('version: 1', 'sources:', '  s: { datasets: [tank/vm] }', 'targets:', '  t: { dataset: bk }', 'replicate:', '  - { from: s, to: t, send: { raw: yes } }')[0]!, /replicate\[0\]\.send\.raw: must be one of: auto, true, false/);
  });
});
