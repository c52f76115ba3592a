import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SpecError } from '../../src/errors.js';
import { durationProblem } from '../../src/spec/duration.js';
import { globPatternProblem } from '../../src/spec/glob.js';
import { loadSpec, parseSpec } from '../../src/spec/load.js';
import { loadSchema } from '../../src/spec/schema.js';
import type { Spec } from '../../src/types.js';
import { datasetNameProblem, snapshotRefProblem, userPropertyProblem } from '../../src/zfs/names.js';

/** One line per array entry, so fixture line numbers are index + 1. */
const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

function problems(text: string, file = 'zfsync.yaml'): string[] {
  try {
    parseSpec(text, file);
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected a SpecError, got ${String(err)}`);
    assert.equal(err.file, file);
    return err.message.split('\n');
  }
  return assert.fail('expected a SpecError');
}

/** A valid spec; tests append lines 5, 6, ... (indent 4 to add to sources.vms). */
const MINIMAL_LINES = [
  'version: 1', //                1
  'sources:', //                  2
  '  vms:', //                    3
  '    datasets: [tank/vm]', //   4
];
const MINIMAL = yaml(...MINIMAL_LINES);

describe('parseSpec: a valid spec', () => {
  it('fills every default', () => {
    const spec = parseSpec(
      yaml(
        'version: 1',
        'sources:',
        '  vms:',
        '    datasets: [tank/vm]',
        'targets:',
        '  offsite:',
        '    dataset: backup/pve1',
        'replicate:',
        '  - { from: vms, to: offsite }',
      ),
      'dir/zfsync.yaml',
    );
    const expected: Omit<Spec, 'hash'> = {
      version: 1,
      file: 'dir/zfsync.yaml',
      hosts: { local: { name: 'local', sudo: false, zfs: 'zfs' } },
      snapshots: { prefix: 'zfsync' },
      sources: {
        vms: { name: 'vms', host: 'local', datasets: ['tank/vm'], recursive: true, exclude: [] },
      },
      targets: {
        offsite: {
          name: 'offsite',
          host: 'local',
          dataset: 'backup/pve1',
          stripPath: 0,
          initial: 'newest',
          receive: { readonly: true, mount: false, properties: {}, excludeProperties: [] },
          onDivergence: 'refuse',
        },
      },
      replicate: [{ from: 'vms', to: 'offsite', transport: { compress: 'auto', bufferBytes: 128 << 20 }, snapshots: ['*'], send: { raw: 'auto', compressed: 'auto', largeBlocks: 'auto', embedded: 'auto' } }],
      rebase: {},
    };
    const { hash, ...rest } = spec;
    assert.deepEqual(rest, expected);
    assert.match(hash, /^[0-9a-f]{64}$/);
  });

  it('leaves targets and replicate empty when absent', () => {
    const spec = parseSpec(MINIMAL, 'zfsync.yaml');
    assert.deepEqual(spec.targets, {});
    assert.deepEqual(spec.replicate, []);
    assert.equal(spec.hash, createHash('sha256').update(MINIMAL).digest('hex'));
  });

  it('maps every key to the model', () => {
    const spec = parseSpec(
      yaml(
        'version: 1',
        'hosts:',
        '  local: { sudo: true, zfs: /sbin/zfs }',
        '  nas:',
        '    ssh: { host: nas.example.com, port: 2222, user: backup, identity: ~/.ssh/id, known_hosts: ~/.ssh/kh }',
        'snapshots: { prefix: "auto.1:x-y_z" }',
        'sources:',
        '  vms:',
        '    host: local',
        '    datasets: [tank/vm, "tank/my disks"]',
        '    recursive: false',
        '    exclude: ["tank/vm/*/tmp"]',
        '    snapshot_every: 1h30m',
        'targets:',
        '  offsite:',
        '    host: nas',
        '    dataset: backup/pve1',
        '    strip_path: 1',
        '    initial: all',
        '    receive: { readonly: false, mount: true }',
        '    on_divergence: rollback',
      ),
      'zfsync.yaml',
    );
    assert.deepEqual(spec.hosts, {
      local: { name: 'local', sudo: true, zfs: '/sbin/zfs' },
      nas: {
        name: 'nas',
        sudo: false,
        zfs: 'zfs',
        ssh: { host: 'nas.example.com', port: 2222, user: 'backup', identity: '~/.ssh/id', knownHosts: '~/.ssh/kh', connectTimeout: 10 },
      },
    });
    assert.equal(spec.snapshots.prefix, 'auto.1:x-y_z');
    assert.deepEqual(spec.sources.vms, {
      name: 'vms',
      host: 'local',
      datasets: ['tank/vm', 'tank/my disks'],
      recursive: false,
      exclude: ['tank/vm/*/tmp'],
      snapshotEvery: 5400,
    });
    assert.deepEqual(spec.targets.offsite, {
      name: 'offsite',
      host: 'nas',
      dataset: 'backup/pve1',
      stripPath: 1,
      initial: 'all',
      receive: { readonly: false, mount: true, properties: {}, excludeProperties: [] },
      onDivergence: 'rollback',
    });
  });

  it('accepts dataset names with spaces, colons and dots', () => {
    const spec = parseSpec(
      yaml('version: 1', 'sources:', '  a:', '    datasets: ["tank/my vm", "tank/a:b", tank/x.y, tank/.z, "tank/-_"]'),
      'f.yaml',
    );
    assert.deepEqual(spec.sources.a?.datasets, ['tank/my vm', 'tank/a:b', 'tank/x.y', 'tank/.z', 'tank/-_']);
  });

  it('reads retention, property selection, receive options and rebase groups', () => {
    const spec = parseSpec(
      yaml(
        'version: 1', //                                 1
        'hosts:', //                                     2
        '  nas:', //                                     3
        '    ssh: { host: nas }', //                     4
        'sources:', //                                   5
        '  vms:', //                                     6
        '    datasets: [tank/vm]', //                    7
        '    retention: { hourly: 24 }', //              8
        '  tagged:', //                                  9
        '    property: "zfsync:vms"', //                 10
        'targets:', //                                   11
        '  a:', //                                       12
        '    dataset: backup/a', //                      13
        '    retention: { daily: 30 }', //               14
        '    receive:', //                               15
        '      properties: { compression: zstd }', //    16
        '      exclude_properties: [mountpoint]', //     17
        '  b:', //                                       18
        '    dataset: backup/b', //                      19
        '    receive: { properties: {}, exclude_properties: [] }', // 20: empty: fine
        'rebase:', //                                    21
        '  gold: { base: tank/vm/base@gold, datasets: [tank/vm/vm1] }', // 22
      ),
      'zfsync.yaml',
    );
    assert.deepEqual(spec.sources.vms?.retention, { hourly: 24 });
    assert.equal(spec.sources.tagged?.property, 'zfsync:vms');
    assert.deepEqual(spec.sources.tagged?.datasets, []);
    assert.deepEqual(spec.targets.a?.receive, {
      readonly: true,
      mount: false,
      properties: { compression: 'zstd' },
      excludeProperties: ['mountpoint'],
    });
    assert.deepEqual(spec.rebase.gold?.base, { dataset: 'tank/vm/base', snapshot: 'gold' });
  });
});

describe('parseSpec: schema errors', () => {
  it('reports a wrong type at the value', () => {
    assert.deepEqual(
      problems(yaml('version: 1', 'sources:', '  vms:', '    datasets: [tank/vm]', 'targets:', '  offsite:', '    dataset: [backup]')),
      ['zfsync.yaml:7:14: targets.offsite.dataset: must be a string'],
    );
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'targets: []')), ['zfsync.yaml:5:10: targets: must be a mapping']);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'replicate: {}')), ['zfsync.yaml:5:12: replicate: must be a list']);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, '    recursive: "yes"')), ['zfsync.yaml:5:16: sources.vms.recursive: must be true or false']);
  });

  it('points at the key when the value is left empty', () => {
    assert.deepEqual(
      problems(yaml(...MINIMAL_LINES, 'targets:', '  t:', '    dataset: backup', '    strip_path:')),
      ['zfsync.yaml:8:5: targets.t.strip_path: must be an integer'],
    );
  });

  it('reports an unknown key at the key, with a suggestion when one is close', () => {
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, '    exclud: []')), [
      `zfsync.yaml:5:5: sources.vms: unknown key 'exclud'; did you mean 'exclude'?`,
    ]);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'colour: red')), [`zfsync.yaml:5:1: unknown key 'colour'`]);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'target: {}')), [
      `zfsync.yaml:5:1: unknown key 'target'; did you mean 'targets'?`,
    ]);
  });

  it('reports a missing key at the mapping that lacks it', () => {
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'targets:', '  offsite:', '    strip_path: 1')), [
      `zfsync.yaml:6:3: targets.offsite: missing required key 'dataset'`,
    ]);
    assert.deepEqual(problems(yaml('# a comment', 'sources:', '  vms: { datasets: [tank] }')), [
      `zfsync.yaml:2:1: missing required key 'version'`,
    ]);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'replicate:', '  - { from: vms, to: x }', '  - { from: vms }')), [
      `zfsync.yaml:7:5: replicate[1]: missing required key 'to'`,
    ]);
  });

  it('lists the allowed values of an enum', () => {
    assert.deepEqual(
      problems(yaml(...MINIMAL_LINES, 'targets:', '  t:', '    dataset: backup', '    on_divergence: destroy', '    initial: 3')),
      [
        'zfsync.yaml:8:20: targets.t.on_divergence: must be one of: refuse, rollback',
        'zfsync.yaml:9:14: targets.t.initial: must be one of: newest, all',
      ],
    );
  });

  it('names the version it cannot read, and nothing else', () => {
    assert.deepEqual(problems(yaml('version: 2', 'sources: { vms: { datasets: [tank] } }')), [
      'zfsync.yaml:1:10: version: unsupported spec version 2 (this zfsync reads version 1)',
    ]);
    assert.deepEqual(problems(yaml('version: 3', 'sources: { vms: { datasets: [tank], snapshots: hourly } }')), [
      'zfsync.yaml:1:10: version: unsupported spec version 3 (this zfsync reads version 1)',
    ]);
    assert.deepEqual(problems(yaml('version: "1"', 'sources: { vms: { datasets: [tank] } }')), [
      'zfsync.yaml:1:10: version: must be an integer',
    ]);
  });

  it('refuses a hostile snapshot prefix', () => {
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'snapshots:', '  prefix: "x; rm -rf /"')), [
      `zfsync.yaml:6:11: snapshots.prefix: must start with a letter or digit and contain only letters, digits, '_', '.', ':' and '-'`,
    ]);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'snapshots:', `  prefix: ${'p'.repeat(65)}`)), [
      'zfsync.yaml:6:11: snapshots.prefix: must be at most 64 characters',
    ]);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'snapshots:', '  prefix: _x')), [
      `zfsync.yaml:6:11: snapshots.prefix: must start with a letter or digit and contain only letters, digits, '_', '.', ':' and '-'`,
    ]);
  });

  it('explains invalid dataset names', () => {
    assert.deepEqual(
      problems(
        yaml(
          'version: 1',
          'sources:',
          '  vms:',
          '    datasets:',
          '      - /tank',
          '      - tank//a',
          '      - "tank/a;b"',
          '      - tank/a@b',
          'targets:',
          '  t: { dataset: "backup/" }',
        ),
      ),
      [
        `zfsync.yaml:5:9: sources.vms.datasets[0]: dataset name must not start with '/'`,
        'zfsync.yaml:6:9: sources.vms.datasets[1]: empty component in dataset name',
        `zfsync.yaml:7:9: sources.vms.datasets[2]: invalid character ';' in dataset name`,
        `zfsync.yaml:8:9: sources.vms.datasets[3]: invalid character '@' in dataset name`,
        `zfsync.yaml:10:17: targets.t.dataset: dataset name must not end with '/'`,
      ],
    );
  });

  it('reports a dataset listed twice at its second mention', () => {
    assert.deepEqual(problems(yaml('version: 1', 'sources:', '  vms:', '    datasets: [tank/a, tank/b, tank/a]')), [
      `zfsync.yaml:4:32: sources.vms.datasets[2]: 'tank/a' is listed twice`,
    ]);
  });

  it('explains bad durations, including a bare number', () => {
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, '    snapshot_every: 1x')), [
      `zfsync.yaml:5:21: sources.vms.snapshot_every: '1x' is not a duration; use e.g. 30s, 15m, 1h, 1d, 1w or 1h30m`,
    ]);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, '    snapshot_every: 3600')), [
      `zfsync.yaml:5:21: sources.vms.snapshot_every: '3600' has no unit, so it is ambiguous; add one (s, m, h, d or w), e.g. 3600s`,
    ]);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, '    snapshot_every: "0m"')), [
      'zfsync.yaml:5:21: sources.vms.snapshot_every: must be longer than zero',
    ]);
  });

  it('refuses bad names of sources, targets and hosts at the name', () => {
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, '  "my vms": { datasets: [tank/a] }', 'hosts:', '  -nas: { ssh: { host: nas } }')), [
      `zfsync.yaml:5:3: sources: invalid name 'my vms': must start with a letter or digit and contain only letters, digits, '_', '.' and '-'`,
      `zfsync.yaml:7:3: hosts: invalid name '-nas': must start with a letter or digit and contain only letters, digits, '_', '.' and '-'`,
    ]);
  });

  it('refuses bad ZFS property names in receive options', () => {
    assert.deepEqual(
      problems(
        yaml(
          ...MINIMAL_LINES,
          'targets:',
          '  t:',
          '    dataset: backup',
          '    receive:',
          '      properties: { Compression: zstd }',
          '      exclude_properties: ["x y"]',
        ),
      ),
      [
        `zfsync.yaml:9:21: targets.t.receive.properties: invalid property name 'Compression': must be a ZFS property name: lowercase letters, digits, ':', '_', '-' and '.'`,
        `zfsync.yaml:10:28: targets.t.receive.exclude_properties[0]: must be a ZFS property name: lowercase letters, digits, ':', '_', '-' and '.'`,
      ],
    );
  });

  it('keeps ssh off local and on every other host', () => {
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, 'hosts:', '  local:', '    ssh: { host: x }', '  nas:', '    sudo: true')), [
      `zfsync.yaml:7:5: hosts.local.ssh: not allowed: 'local' is this machine; define another host to use SSH`,
      `zfsync.yaml:8:3: hosts.nas: missing required key 'ssh'`,
    ]);
  });

  it('checks ssh settings that end up on a command line', () => {
    assert.deepEqual(
      problems(yaml(...MINIMAL_LINES, 'hosts:', '  nas:', '    ssh: { host: -oProxyCommand=x, port: 0, user: "-l" }')),
      [
        `zfsync.yaml:7:18: hosts.nas.ssh.host: must be a host name or address (letters, digits, '.', '-', ':', '_'), not starting with '-'`,
        'zfsync.yaml:7:42: hosts.nas.ssh.port: must be at least 1',
        `zfsync.yaml:7:51: hosts.nas.ssh.user: must start with a letter, digit or '_' and contain only letters, digits, '_', '.' and '-'`,
      ],
    );
  });

  it('reports every problem once, in file order', () => {
    assert.deepEqual(
      problems(
        yaml(
          'version: 1', //                     1
          'targets:', //                       2
          '  t:', //                           3
          '    dataset: 5', //                 4
          '    strip_path: -1', //             5
          'sources:', //                       6
          '  vms:', //                         7
          '    datasets: tank/vm', //          8
          '    snapshot_every: soon', //       9
          '    exclude: ["/x", "a//b"]', //    10
        ),
      ),
      [
        'zfsync.yaml:4:14: targets.t.dataset: must be a string',
        'zfsync.yaml:5:17: targets.t.strip_path: must be at least 0',
        'zfsync.yaml:8:15: sources.vms.datasets: must be a list',
        `zfsync.yaml:9:21: sources.vms.snapshot_every: 'soon' is not a duration; use e.g. 30s, 15m, 1h, 1d, 1w or 1h30m`,
        `zfsync.yaml:10:15: sources.vms.exclude[0]: pattern must not start with '/'`,
        'zfsync.yaml:10:21: sources.vms.exclude[1]: empty component in pattern',
      ],
    );
  });

  it('requires at least one source', () => {
    assert.deepEqual(problems(yaml('version: 1', 'sources: {}')), [
      'zfsync.yaml:2:10: sources: must define at least one source',
    ]);
  });
});

describe('parseSpec: YAML errors', () => {
  it('reports a syntax error with its position', () => {
    assert.deepEqual(problems(yaml('version: 1', 'sources:', '  vms: { datasets: [tank }')), [
      'zfsync.yaml:3:26: YAML syntax error: flow sequence in block collection must be sufficiently indented and end with a ]',
      'zfsync.yaml:3:27: YAML syntax error: flow map in block collection must be sufficiently indented and end with a }',
    ]);
    assert.deepEqual(problems(yaml('version: 1', 'sources:', '  vms: datasets: [tank]')), [
      'zfsync.yaml:3:8: YAML syntax error: nested mappings are not allowed in compact mappings',
    ]);
    assert.deepEqual(problems(yaml('version: 1', 'sources:', '\tvms: {}')), [
      'zfsync.yaml:3:1: YAML syntax error: tabs are not allowed as indentation',
    ]);
  });

  it('reports a duplicate key at its second occurrence', () => {
    assert.deepEqual(problems(yaml('version: 1', 'sources:', '  vms:', '    datasets: [a]', '    datasets: [b]')), [
      `zfsync.yaml:5:5: sources.vms: duplicate key 'datasets'`,
    ]);
    assert.deepEqual(problems(yaml('version: 1', 'version: 1')), [`zfsync.yaml:2:1: duplicate key 'version'`]);
  });

  it('refuses an empty document, a non-mapping and several documents', () => {
    assert.deepEqual(problems(''), ['zfsync.yaml:1:1: the spec is empty']);
    assert.deepEqual(problems(yaml('# nothing but a comment')), ['zfsync.yaml:1:1: the spec is empty']);
    assert.deepEqual(problems(yaml('- version: 1')), ['zfsync.yaml:1:1: the spec must be a mapping of keys']);
    assert.deepEqual(problems(yaml('# top', 'just text')), ['zfsync.yaml:2:1: the spec must be a mapping of keys']);
    assert.deepEqual(problems(yaml(...MINIMAL_LINES, '---', 'version: 1')), [
      'zfsync.yaml:5:1: the spec must be a single YAML document (remove the second ---)',
    ]);
  });

  it('refuses alias bombs without hanging', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    const [line] = problems(yaml(...lines));
    assert.match(line ?? '', /^zfsync\.yaml:1:1: cannot read YAML: /);
  });
});

describe('loadSpec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zfsync-spec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file and hashes its bytes', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, MINIMAL);
    const spec = await loadSpec(file);
    assert.equal(spec.file, file);
    assert.equal(spec.hash, createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('reports a file it cannot read', async () => {
    const file = join(dir, 'missing.yaml');
    await assert.rejects(loadSpec(file), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.equal(err.message, `${file}: cannot read spec: ENOENT: no such file or directory, open '${file}'`);
      return true;
    });
  });

  it('reports problems with the path as given', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, yaml('version: 1', 'sources: []'));
    await assert.rejects(loadSpec(file), { name: 'SpecError', message: `${file}:2:10: sources: must be a mapping` });
  });

  it('loads the push, pull and relay examples', async () => {
    let loaded = 0;
    for (const name of ['push', 'pull', 'relay']) {
      const spec = await loadSpec(`examples/${name}.yaml`);
      assert.ok(Object.values(spec.hosts).some((h) => h.ssh), `${name} has an SSH host`);
      loaded++;
    }
    assert.equal(loaded, 3);
  });

  it('loads the retention example', async () => {
    const spec = await loadSpec('examples/retention.yaml');
    assert.deepEqual(spec.sources.vms?.retention, { last: 6, hourly: 24, daily: 3 });
    assert.deepEqual(spec.targets.backup?.retention, { hourly: 24, daily: 14, weekly: 8, monthly: 12, yearly: 3 });
  });

  it('loads the encrypted and rebase examples', async () => {
    const enc = await loadSpec('examples/encrypted.yaml');
    assert.deepEqual(enc.targets.offsite?.receive.properties, { mountpoint: 'none', 'zfsync:origin': 'ws1' });
    assert.equal(enc.replicate[0]?.send.raw, 'auto');
    const rb = await loadSpec('examples/rebase.yaml');
    assert.deepEqual(rb.rebase.debian12?.datasets, ['rpool/data/subvol-1*-disk-0']);
  });

  it('loads the property-selection example', async () => {
    const spec = await loadSpec('examples/property.yaml');
    assert.equal(spec.sources.tagged?.property, 'zfsync:offsite');
    assert.deepEqual(spec.sources.tagged?.datasets, []);
  });

  it('loads both examples', async () => {
    const small = await loadSpec('examples/zfsync.yaml');
    assert.deepEqual(Object.keys(small.sources), ['vms', 'home']);
    const reference = await loadSpec('examples/reference.yaml');
    assert.deepEqual(reference.rebase.golden, {
      name: 'golden',
      host: 'local',
      base: { dataset: 'tank/vm/base', snapshot: 'gold' },
      seed: 'all',
      datasets: ['tank/vm/vm*'],
      replace: true,
      keepOriginals: 'suffix',
      suffix: '_pre_rebase',
      rebuildBase: false,
    });
  });
});

describe('the JSON schema', () => {
  const schema = loadSchema();

  it('describes every key and closes every object', () => {
    const missing: string[] = [];
    const visit = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object' || Array.isArray(node)) return;
      const n = node as Record<string, unknown>;
      if (n.type === 'object' && n.additionalProperties === undefined) missing.push(`${where}: additionalProperties`);
      for (const [key, sub] of Object.entries((n.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof sub.description !== 'string') missing.push(`${where}/properties/${key}: description`);
        visit(sub, `${where}/properties/${key}`);
      }
      for (const [key, sub] of Object.entries(n)) if (key !== 'properties') visit(sub, `${where}/${key}`);
    };
    visit(schema, '#');
    assert.deepEqual(missing, []);
    assert.equal(typeof schema.$id, 'string');
  });

  // The schema's patterns serve editors; the functions give the messages. They must agree.
  it('has name patterns that agree with the name checks', () => {
    const checks: [string, (v: string) => string | undefined, string[]][] = [
      ['datasetName', datasetNameProblem, ['a', 'c', '0', '/', '/', '.', ':', '-', ' ', ';', '@', 'mirror', 'raidz', 'log', 'c1']],
      ['snapshotRef', snapshotRefProblem, ['a', 'c', '/', '.', ':', ' ', '@', '@', '#', 'log', 'draid']],
      ['excludePattern', globPatternProblem, ['a', '*', '?', '/', '/', '.', ' ', ';']],
      ['duration', durationProblem, ['0', '1', '5', 'w', 'd', 'h', 'm', 's', 'x']],
      ['userProperty', userPropertyProblem, ['a', ':', '.', '-', '_', 'A', '0', ' ']],
    ];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const [def, problem, alphabet] of checks) {
      const { pattern, maxLength } = schema.$defs[def] as { pattern: string; maxLength?: number };
      const re = new RegExp(pattern, 'u');
      for (let n = 0; n < 20000; n++) {
        let value = '';
        for (let len = 1 + random(6); len > 0; len--) value += alphabet[random(alphabet.length)];
        const bySchema = re.test(value) && value.length <= (maxLength ?? Infinity);
        assert.equal(bySchema, problem(value) === undefined, `${def}: ${JSON.stringify(value)}`);
      }
    }
  });
});
