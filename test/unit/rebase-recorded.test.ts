// Rebase on output recorded from OpenZFS 2.1 and 2.3 (test/fixtures/openzfs-*/README.md): the
// probe finds rsync; the state read with the rebase markers parses; the planner reads a
// half-rebuilt member from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseProbe } from '../../src/zfs/capabilities.js';
import { StateListingParser, stateReadCalls } from '../../src/zfs/state-read.js';
import { BASE_PROPERTY, REBUILD_PROPERTY } from '../../src/rebase/names.js';
import { resolveMembers } from '../../src/rebase/members.js';
import { planRebase } from '../../src/rebase/plan.js';
import { parseSpec } from '../../src/spec/load.js';
import type { State } from '../../src/types.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');
const R = 'vmtank/zfsync-rebase-rec';

for (const version of ['2.1', '2.3']) {
  describe(`rebase on recorded OpenZFS ${version}`, () => {
    const caps = parseProbe(fixture(`openzfs-${version}/probe-rebase.txt`));
    const calls = stateReadCalls(caps, [{ name: R, depth: 'tree' }], [BASE_PROPERTY, REBUILD_PROPERTY]);
    const parser = new StateListingParser(caps, calls);
    parser.push(fixture(`openzfs-${version}/state-rebase.txt`));
    const listing = parser.end();

    it('the probe finds rsync', () => {
      assert.equal(caps.tools.rsync, true);
    });

    it('the markers arrive as locally set properties, the clone with its origin', () => {
      assert.deepEqual(listing.errors, []);
      assert.deepEqual(Object.fromEntries(listing.properties.get(REBUILD_PROPERTY)!), { [`${R}/vm a.zfsync-rebase-new`]: 'copy', [`${R}/vm_b`]: 'verified:mount' });
      assert.deepEqual(Object.fromEntries(listing.properties.get(BASE_PROPERTY)!), { [`${R}/base`]: 'g' });
      assert.equal(listing.datasets.get(`${R}/vm a.zfsync-rebase-new`)?.origin, `${R}/base@gold`);
    });

    it('plans from it: a member found through its temporary clone, a marker without the base origin is no finished rebuild', () => {
      const spec = parseSpec(`version: 1\nsources: { s: { datasets: [${R}] } }\nrebase:\n  g: { base: ${R}/base@gold, datasets: ["${R}/vm*"] }\n`, 'zfsync.yaml');
      const hs = { host: 'local', capabilities: caps, roots: [R], missing: [], datasets: listing.datasets, properties: listing.properties };
      assert.deepEqual(resolveMembers(spec.rebase.g!, hs, 'zfsync'), [`${R}/vm a`, `${R}/vm_b`]);
      const state: State = { hosts: { local: hs } };
      const r = planRebase(spec, state, new Date('2026-12-01T10:00:00Z'));
      assert.deepEqual(r.drafts.map((d) => `${d.kind} ${d.dataset}`), [`conflict ${R}/vm a`, `rebuild ${R}/vm_b`]);
    });
  });
}
