// CLI behaviour that needs no ZFS: bad input gets a precise error, a non-zero exit and no stack.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specFile, zfsync } from '../helpers/cli.js';

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .*\(.*:\d+:\d+\)/);

describe('cli: bad input', () => {
  it('reports a spec type error with file:line:column and exits 1', async (t) => {
    const { spec } = await specFile(t, 'version: 1\nsources:\n  vms:\n    datasets: [tank/vm]\ntargets:\n  offsite:\n    dataset: 42\nreplicate:\n  - { from: vms, to: offsite }\n');
    for (const cmd of ['validate', 'plan']) {
      const r = await zfsync([cmd, '-c', spec]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), `Error: ${spec}:7:14: targets.offsite.dataset: must be a string`);
      assert.equal(r.stdout, '');
      noStack(r.stderr);
    }
  });

  it('refuses hostile free text (prefix) before touching any host', async (t) => {
    const { spec } = await specFile(t, 'version: 1\nsnapshots:\n  prefix: "x; rm -rf /"\nsources:\n  vms: { datasets: [tank/vm] }\n');
    const r = await zfsync(['plan', '-c', spec]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /:3:11: snapshots\.prefix: must start with a letter or digit/);
  });

  it('accepts rebase groups and receive properties, which earlier versions refused as "not supported yet"', async (t) => {
    const { spec } = await specFile(
      t,
      'version: 1\nsources:\n  vms: { datasets: [tank/vm], retention: { daily: 7 } }\ntargets:\n  off: { dataset: backup/pve, receive: { properties: { compression: zstd } } }\nreplicate:\n  - { from: vms, to: off }\nrebase:\n  gold: { base: tank/vm/base@gold, datasets: [tank/vm/vm1] }\n',
    );
    const v = await zfsync(['validate', '-c', spec]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.doesNotMatch(v.stdout + v.stderr, /not supported yet/);
  });

  it('a missing spec file is a clear error', async () => {
    const r = await zfsync(['plan', '-c', '/nonexistent/zfsync.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/nonexistent\/zfsync\.yaml: cannot read spec: ENOENT/);
  });

  it('unknown flags and commands exit 1', async () => {
    const r = await zfsync(['plan', '--frobnicate']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown option '--frobnicate'/);
    assert.equal((await zfsync(['destroy-everything'])).code, 1);
  });

  it('a missing plan file is a clear error', async () => {
    const r = await zfsync(['show', '/nonexistent/plan.json']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error: cannot read plan file /nonexistent/plan.json: ENOENT');
  });

  it('validate accepts a good spec; --help and --version exit 0', async (t) => {
    const { spec } = await specFile(t, 'version: 1\nsources:\n  vms: { datasets: [tank/vm] }\ntargets:\n  bk: { dataset: backup/x }\nreplicate:\n  - { from: vms, to: bk }\n');
    const r = await zfsync(['validate', '-c', spec]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is valid: 1 source, 1 target, 1 pair\./);
    assert.equal((await zfsync(['--help'])).code, 0);
    const v = await zfsync(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  });
});
