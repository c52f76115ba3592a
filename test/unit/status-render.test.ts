// Rendering of zfsync status: lag format, the table, the summary line, the JSON document
// against schemas/status.schema.json, and --max-lag usage errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { statusDocument, type StatusDocument } from '../../src/render/status-json.js';
import { renderStatusText, statusSummaryLine } from '../../src/render/status-text.js';
import { parseSpec } from '../../src/spec/load.js';
import { formatLag } from '../../src/status/lag.js';
import { statusReport } from '../../src/status/report.js';
import { zfsync } from '../helpers/cli.js';
import { HostBuilder, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(new URL('../../schemas/status.schema.json', import.meta.url), 'utf8')));

const spec = parseSpec(
  `version: 1
hosts:
  nas: { ssh: { host: nas.example.com } }
sources:
  vms: { datasets: [tank/vm] }
targets:
  bk: { dataset: backup/pve }
  off: { host: nas, dataset: pool/pve }
replicate:
  - { from: vms, to: bk }
  - { from: vms, to: off }
`,
  'zfsync.yaml',
);

function state() {
  const h = new HostBuilder('local');
  h.fs('tank/vm/new').fs('backup');
  h.snap('tank/vm', 'zfsync_20261201T085500Z').snap('tank/vm', 'zfsync_20261201T110000Z');
  h.snap('tank/vm/new', 'zfsync_20261201T110000Z');
  h.received('backup/pve/tank/vm', h, 'tank/vm', ['zfsync_20261201T085500Z']);
  const s = stateOf(h);
  s.unreachable = { nas: 'nas: connect ECONNREFUSED 10.0.0.9:22' };
  return s;
}

describe('status: lag format', () => {
  it('shows at most two units', () => {
    assert.equal(formatLag(null), 'never');
    assert.equal(formatLag(0), '0s');
    assert.equal(formatLag(59), '59s');
    assert.equal(formatLag(60), '1m');
    assert.equal(formatLag(3599), '59m');
    assert.equal(formatLag(3 * 3600 + 5 * 60 + 59), '3h05m');
    assert.equal(formatLag(86399), '23h59m');
    assert.equal(formatLag(2 * 86400 + 4 * 3600 + 1800), '2d04h');
    assert.equal(formatLag(400 * 86400), '400d00h');
  });
});

describe('status: text', () => {
  it('renders a table per pair, marks behind and never, names the unreachable host and closes with the summary', () => {
    const text = renderStatusText(statusReport(spec, state(), NOW, 3 * 3600), { color: false, maxLag: '3h' });
    const lines = text.split('\n');
    assert.equal(lines[0], 'vms -> bk  (local -> local: backup/pve)');
    assert.match(lines[1]!, /^ {2}DATASET {6}NEWEST COMMON {13}LAG {4}PENDING {2}SOURCE own\/all {2}TARGET own\/all$/);
    assert.match(lines[2]!, /^ {2}tank\/vm {6}@zfsync_20261201T085500Z {2}3h05m {2}1 {8}2\/2 {13}1\/1 {13}behind$/);
    assert.match(lines[3]!, /^ {2}tank\/vm\/new {2}none {22}never {2}1 {8}1\/1 {13}absent {10}behind$/);
    assert.equal(lines[5], 'vms -> off  (local -> nas: pool/pve)');
    assert.equal(lines[6], '  ! host nas unreachable: nas: connect ECONNREFUSED 10.0.0.9:22');
    assert.equal(lines.at(-1), 'Status: 2 datasets in 2 pairs, 1 never replicated, 2 behind --max-lag 3h, 0 conflicts, 1 host unreachable (nas).');
    assert.doesNotMatch(text, /\x1b\[/, 'no colour when off');
  });

  it('with colour, rows behind are red and never-replicated ones yellow', () => {
    const r = statusReport(spec, state(), NOW);
    const lines = renderStatusText(r, { color: true }).split('\n');
    assert.match(lines.find((l) => l.includes('tank/vm/new'))!, /^\x1b\[33m/);
    const behind = renderStatusText(statusReport(spec, state(), NOW, 3600), { color: true }).split('\n');
    assert.match(behind.find((l) => l.includes('tank/vm ') && l.includes('3h05m'))!, /^\x1b\[31m.*behind\x1b\[39m$/);
  });

  it('without --max-lag marks nothing behind and leaves it out of the summary', () => {
    const r = statusReport(spec, state(), NOW);
    assert.doesNotMatch(renderStatusText(r, { color: false }), /behind/);
    assert.equal(statusSummaryLine(r.summary), 'Status: 2 datasets in 2 pairs, 1 never replicated, 0 conflicts, 1 host unreachable (nas).');
  });

  it('shows a conflict under its dataset with its resolution, and escapes control characters', () => {
    const h = new HostBuilder('local');
    h.fs('tank/vm').fs('backup');
    h.snap('tank/vm', 'zfsync_20261201T110000Z');
    h.received('backup/pve/tank/vm', h, 'tank/vm', ['zfsync_20261201T110000Z']);
    h.snap('backup/pve/tank/vm', 'evil\x1b[31m');
    const one = parseSpec('version: 1\nsources: { vms: { datasets: [tank/vm] } }\ntargets: { bk: { dataset: backup/pve } }\nreplicate: [{ from: vms, to: bk }]\n', 'zfsync.yaml');
    const text = renderStatusText(statusReport(one, stateOf(h), NOW), { color: false });
    assert.match(text, /1h00m {2}0 {8}1\/1 {13}1\/2 {13}1 conflict\n {6}! backup\/pve\/tank\/vm has diverged: .*evil\\x1b\[31m/);
    assert.match(text, /\n {8}resolve: set targets\.bk\.on_divergence: rollback/);
    assert.doesNotMatch(text, /\x1b/);
    assert.match(text, /Status: 1 dataset in 1 pair, 1 conflict\.$/);
  });
});

describe('status: JSON document', () => {
  it('is versioned and valid against schemas/status.schema.json', () => {
    const doc: StatusDocument = JSON.parse(JSON.stringify(statusDocument(spec, statusReport(spec, state(), NOW, 90000))));
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.equal(doc.format, 'zfsync-status');
    assert.equal(doc.version, 1);
    assert.equal(doc.generatedAt, '2026-12-01T12:00:00.000Z');
    assert.equal(doc.maxLagSeconds, 90000);
    assert.equal(doc.pairs[0]!.datasets[0]!.lagSeconds, 3 * 3600 + 5 * 60);
    assert.equal(doc.pairs[0]!.datasets[1]!.common, null);
  });

  it('the schema rejects what is not a status document', () => {
    const doc: StatusDocument = JSON.parse(JSON.stringify(statusDocument(spec, statusReport(spec, state(), NOW))));
    assert.ok(validate(doc));
    assert.equal(validate({ ...doc, format: 'zfsync-plan' }), false);
    assert.equal(validate({ ...doc, pairs: [{ ...doc.pairs[0], datasets: [{ ...doc.pairs[0]!.datasets[0], lagSeconds: -1 }] }] }), false);
    const { summary: _dropped, ...noSummary } = doc;
    assert.equal(validate(noSummary), false);
  });
});

describe('status: flags', () => {
  for (const [flag, message] of [
    ['25', "Error: --max-lag: '25' has no unit, so it is ambiguous; add one (s, m, h, d or w), e.g. 25s"],
    ['0h', 'Error: --max-lag: must be longer than zero'],
    ['soon', "Error: --max-lag: 'soon' is not a duration; use e.g. 30s, 15m, 1h, 1d, 1w or 1h30m"],
  ] as const) {
    it(`--max-lag ${flag} is one error line and exit 1`, async () => {
      const r = await zfsync(['status', '--max-lag', flag, '-c', '/nonexistent/zfsync.yaml']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, message + '\n');
      assert.equal(r.stdout, '');
    });
  }

  it('a missing spec file is one error line and exit 1', async () => {
    const r = await zfsync(['status', '-c', '/nonexistent/zfsync.yaml']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^Error: .*\/nonexistent\/zfsync\.yaml/);
  });
});
