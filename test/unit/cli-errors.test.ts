// User mistakes are never internal errors: each gets one line, exit 1, no stack trace, and
// changes nothing (no file written, no host contacted).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { applyPlan } from '../../src/apply/executor.js';
import { PlanFileError } from '../../src/errors.js';
import { localZfsProblem, SBIN_DIRS, withSbin } from '../../src/host/local.js';
import type { Action, Plan } from '../../src/types.js';
import { specFile, zfsync } from '../helpers/cli.js';

const SPEC = 'version: 1\nsources:\n  vms: { datasets: [nopool/vm] }\ntargets:\n  bk: { dataset: nopool2/bk }\nreplicate:\n  - { from: vms, to: bk }\n';

async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('cli: user errors get one line and exit 1', () => {
  it('walks a table of bad inputs', async (t) => {
    const { dir, spec } = await specFile(t, SPEC);
    const f = (name: string) => path.join(dir, name);
    await writeFile(f('garbage.json'), Buffer.from([0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x0a, 0x41, 0x42, 0x07]));
    await writeFile(f('empty.json'), '');
    await writeFile(f('truncated.json'), '{"format": "zfsync-plan", "version": 1, "pl');
    await writeFile(f('other.json'), '{"format": "terraform-plan"}');
    await mkdir(f('plan-dir.json'));
    await mkdir(f('spec-dir.yaml'));
    await writeFile(f('nozfs.yaml'), SPEC.replace('version: 1\n', 'version: 1\nhosts:\n  local: { zfs: nosuchzfs-cmd }\n'));
    await writeFile(f('badzfs.yaml'), SPEC.replace('version: 1\n', 'version: 1\nhosts:\n  local: { zfs: /nonexistent/zfs }\n'));
    const before = await listing(dir);

    const table: { args: string[]; expect: RegExp }[] = [
      { args: ['plan', '-c', spec, '--out', '/nonexistent/dir/p.json'], expect: /^Error: --out \/nonexistent\/dir\/p\.json: the directory \/nonexistent\/dir does not exist$/ },
      { args: ['plan', '-c', spec, '--out', dir], expect: /^Error: --out .*: is a directory; give a file name$/ },
      { args: ['plan', '-c', spec, '--out', f('garbage.json/p.json')], expect: /^Error: --out .*garbage\.json is not a directory$/ },
      { args: ['show', f('garbage.json')], expect: /^Error: .*garbage\.json: not valid JSON: this is not JSON text$/ },
      { args: ['apply', f('garbage.json'), '-c', spec], expect: /^Error: .*garbage\.json: not valid JSON/ },
      { args: ['show', f('empty.json')], expect: /^Error: .*empty\.json: not valid JSON: the file is empty$/ },
      { args: ['show', f('truncated.json')], expect: /^Error: .*truncated\.json:1:44: not valid JSON: Unterminated string in JSON at position 43$/ },
      { args: ['show', f('other.json')], expect: /^Error: .*other\.json: not a zfsync plan/ },
      { args: ['show', f('plan-dir.json')], expect: /^Error: cannot read plan file .*plan-dir\.json: EISDIR$/ },
      { args: ['apply', f('plan-dir.json'), '-c', spec], expect: /^Error: cannot read plan file .*plan-dir\.json: EISDIR$/ },
      { args: ['show', f('missing.json')], expect: /^Error: cannot read plan file .*missing\.json: ENOENT$/ },
      { args: ['plan', '-c', f('spec-dir.yaml')], expect: /^Error: .*spec-dir\.yaml: cannot read spec: EISDIR/ },
      { args: ['validate', '-c', f('nowhere.yaml')], expect: /^Error: .*nowhere\.yaml: cannot read spec: ENOENT/ },
      { args: ['plan', '-c', '/nonexistent/dir/zfsync.yaml'], expect: /cannot read spec: ENOENT/ },
      { args: ['apply', '-c', spec, '--parallelism', 'abc'], expect: /^Error: --parallelism must be a whole number from 1 to 64, not 'abc'$/ },
      { args: ['apply', '-c', spec, '--parallelism', '0'], expect: /^Error: --parallelism must be/ },
      { args: ['apply', ''], expect: /^Error: the plan file name is empty$/ },
      { args: ['destroy-everything'], expect: /unknown command 'destroy-everything'/ },
      { args: ['plan', '--frobnicate'], expect: /unknown option '--frobnicate'/ },
      { args: ['show'], expect: /missing required argument 'plan-file'/ },
      { args: ['plan', '-c'], expect: /option '-c, --config <file>' argument missing/ },
      // cron's PATH and the like: a zfs that cannot be found names the setting.
      { args: ['plan', '-c', f('nozfs.yaml')], expect: /^Error: local: zfs command not found: no nosuchzfs-cmd on PATH .* nor in \/usr\/sbin, \/sbin, \/usr\/local\/sbin; set hosts\.local\.zfs to the path of zfs$/ },
      { args: ['plan', '-c', f('badzfs.yaml')], expect: /^Error: local: zfs command not found: \/nonexistent\/zfs does not exist or is not executable; set hosts\.local\.zfs/ },
    ];
    for (const { args, expect } of table) {
      const r = await zfsync(args);
      const label = JSON.stringify(args);
      assert.equal(r.code, 1, `${label}: exit 1\n${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `${label}: one line on stderr, not ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0]!, expect, label);
      assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, label);
      assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/, `${label}: no control characters echoed`);
    }
    assert.deepEqual(await listing(dir), before, 'nothing was written');
  });

  it('no command prints the usage on stderr and exits 1', async () => {
    const r = await zfsync([]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: zfsync \[options\] \[command\]/);
    assert.match(r.stderr, /\n  apply /);
  });

  it('a plan that names a host zfsync has no connection for is refused before anything runs', async () => {
    const action = { id: 'a1', kind: 'snapshot', host: 'ghost', dependsOn: [], datasets: ['tank/x'], snapshot: 'zfsync_1', recursive: [], atomic: true, reason: 'r' } as unknown as Action;
    const plan = { actions: [action] } as unknown as Plan;
    const events: string[] = [];
    await assert.rejects(
      applyPlan(plan, new Map(), { dryRun: false, emit: (e) => events.push(e.type) }),
      (e: unknown) => e instanceof PlanFileError && /the plan needs host 'ghost', which the spec does not have or zfsync could not reach; nothing was applied/.test(e.message),
    );
    assert.deepEqual(events, [], 'nothing started');
  });
});

describe('finding zfs under a short PATH (cron: /usr/bin:/bin)', () => {
  it('appends the sbin directories a PATH lacks, keeping its own order first', () => {
    assert.equal(withSbin('/usr/bin:/bin'), '/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/sbin');
    assert.equal(withSbin('/sbin:/usr/bin'), '/sbin:/usr/bin:/usr/sbin:/usr/local/sbin');
    assert.equal(withSbin(undefined), '/usr/sbin:/sbin:/usr/local/sbin');
  });

  it('finds a bare zfs in an sbin directory, and names the setting when there is none', async (t) => {
    const { dir } = await specFile(t, '');
    const fake = path.join(dir, 'fakezfs');
    await writeFile(fake, '#!/bin/sh\n', { mode: 0o755 });
    const inSbin = SBIN_DIRS.some((d) => existsSync(path.join(d, 'zfs')));
    assert.equal((await localZfsProblem('zfs', '/usr/bin:/bin', 'hosts.local.zfs')) === undefined, inSbin, 'a bare zfs is found in the sbin directories (where this machine has one)');
    assert.equal(await localZfsProblem(fake, '/nonexistent', 'hosts.local.zfs'), undefined);
    assert.equal(await localZfsProblem('fakezfs', dir, 'hosts.local.zfs'), undefined);
    assert.match((await localZfsProblem('fakezfs', '/usr/bin:/bin', 'hosts.local.zfs'))!, /no fakezfs on PATH \(\/usr\/bin:\/bin\) nor in \/usr\/sbin, \/sbin, \/usr\/local\/sbin; set hosts\.local\.zfs/);
  });
});
