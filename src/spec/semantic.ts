// Checks that need the whole spec: references between sections, and replication layouts
// that would overwrite or loop. Run only after the schema accepted the spec.
import type { SpecProblem } from '../errors.js';
import type { PairSpec, SourceSpec, Spec, TargetSpec } from '../types.js';
import { compileGlob, hasGlobChars } from './glob.js';
import { isWithin, targetDatasetFor } from './mapping.js';
import type { RawRebaseGroup } from './normalise.js';
import { formatPath, type SpecLocator, type SpecPath } from './positions.js';
import { didYouMean } from './suggest.js';
import { checkRebaseGroups } from './rebase-checks.js';
import { keepsNothing, RULES } from '../retention/buckets.js';
import { receivePropertyProblems } from './receive-properties.js';

type Report = (path: SpecPath, message: string, where?: 'value' | 'key') => void;

export function semanticProblems(
  spec: Spec,
  rebase: Record<string, RawRebaseGroup> | undefined,
  at: SpecLocator,
): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const report: Report = (path, message, where = 'value') => {
    const pos = where === 'key' ? at.key(path) : at.value(path);
    if (!problems.some((p) => p.path === formatPath(path) && p.message === message)) {
      problems.push({ pos, path: formatPath(path), message });
    }
  };
  checkHostRefs(spec, rebase, report);
  checkRetention(spec, report);
  for (const target of Object.values(spec.targets)) {
    for (const [path, message, where] of receivePropertyProblems(target)) report(path, message, where);
  }
  for (const source of Object.values(spec.sources)) checkSource(source, report);
  const pairs = checkPairs(spec, report);
  for (const { pair, index, source, target } of pairs) {
    checkTargetOutsideSource(source, target, report);
    checkRootsWithinPair(pair, index, source, target, report);
  }
  checkPairsOverlap(pairs, report);
  checkSnapshotOverlap(spec, at, report);
  checkRebaseGroups(spec, report);
  return problems;
}

function checkHostRefs(spec: Spec, rebase: Record<string, RawRebaseGroup> | undefined, report: Report): void {
  const known = Object.keys(spec.hosts);
  const check = (section: string, name: string, host: string) => {
    if (!(host in spec.hosts)) report([section, name, 'host'], `unknown host '${host}'${didYouMean(host, known)}`);
  };
  for (const s of Object.values(spec.sources)) check('sources', s.name, s.host);
  for (const t of Object.values(spec.targets)) check('targets', t.name, t.host);
  for (const [name, group] of Object.entries(rebase ?? {})) check('rebase', name, group.host);
}

function checkSource(source: SourceSpec, report: Report): void {
  const at = ['sources', source.name];
  const byDatasets = source.datasets.length > 0;
  if (byDatasets && source.property !== undefined) {
    report([...at, 'property'], `give either 'datasets' or 'property', not both`, 'key');
  } else if (!byDatasets && source.property === undefined) {
    report(at, `missing required key 'datasets' (or 'property')`, 'key');
  }

  source.exclude.forEach((pattern, i) => {
    if (hasGlobChars(pattern) || !byDatasets) return;
    if (!source.datasets.some((root) => isWithin(pattern, root))) {
      report(
        [...at, 'exclude', i],
        `'${pattern}' is not inside any of this source's datasets (${source.datasets.join(', ')})`,
      );
    }
  });

  if (!source.recursive) return;
  source.datasets.forEach((root, i) => {
    const outer = source.datasets.find((other) => other !== root && isWithin(root, other));
    if (outer) report([...at, 'datasets', i], `${root} lies inside ${outer}, which already includes it; list only ${outer}`);
  });
}

interface ResolvedPair {
  pair: PairSpec;
  index: number;
  source: SourceSpec;
  target: TargetSpec;
}

/** Reports bad references and duplicates; returns the pairs whose source and target exist. */
function checkPairs(spec: Spec, report: Report): ResolvedPair[] {
  const resolved: ResolvedPair[] = [];
  const seen = new Map<string, number>();
  spec.replicate.forEach((pair, index) => {
    const source = spec.sources[pair.from];
    const target = spec.targets[pair.to];
    if (!source) {
      report(['replicate', index, 'from'], `unknown source '${pair.from}'${didYouMean(pair.from, Object.keys(spec.sources))}`);
    }
    if (!target) {
      report(['replicate', index, 'to'], `unknown target '${pair.to}'${didYouMean(pair.to, Object.keys(spec.targets))}`);
    }
    const key = JSON.stringify([pair.from, pair.to]);
    const first = seen.get(key);
    if (first !== undefined) {
      report(['replicate', index], `duplicate of replicate[${first}] (${pair.from} -> ${pair.to})`);
      return;
    }
    seen.set(key, index);
    if (source && target) resolved.push({ pair, index, source, target });
  });
  return resolved;
}

function selects(source: SourceSpec): (dataset: string) => boolean {
  const excluded = source.exclude.map(compileGlob);
  return (dataset) =>
    source.datasets.some((root) => (source.recursive ? isWithin(dataset, root) : dataset === root)) &&
    !excluded.some((matches) => matches(dataset));
}

/** Copies received inside the source would be selected and replicated again, forever. */
function checkTargetOutsideSource(source: SourceSpec, target: TargetSpec, report: Report): void {
  if (source.host !== target.host) return;
  const selected = selects(source);
  const at = ['targets', target.name, 'dataset'];
  const root = source.datasets.find((r) => isWithin(target.dataset, r));
  if (root !== undefined && selected(target.dataset)) {
    report(
      at,
      `target '${target.name}' (${target.dataset}) lies inside source '${source.name}' (${root}), which would replicate its own copies; exclude it or move the target`,
    );
    return;
  }
  for (const r of source.datasets) {
    const copy = targetDatasetFor(target, r);
    if (selected(copy)) {
      report(
        at,
        `target '${target.name}' would put the copy of ${r} at ${copy}, inside source '${source.name}' itself; change strip_path or move the target`,
      );
    }
  }
}

const pairName = (p: PairSpec) => `${p.from} -> ${p.to}`;

/** Within one pair: strip_path can fold different roots (or a root's children) onto one dataset. */
function checkRootsWithinPair(
  pair: PairSpec,
  index: number,
  source: SourceSpec,
  target: TargetSpec,
  report: Report,
): void {
  const at = ['replicate', index];
  const roots = source.datasets;
  for (const root of roots) {
    const depth = root.split('/').length;
    if (source.recursive && target.stripPath > depth) {
      report(
        at,
        `target '${target.name}' strips ${target.stripPath} components but ${root} has only ${depth}; the datasets below it would all land on ${target.dataset}`,
      );
    }
  }
  roots.forEach((a, i) => {
    for (const b of roots.slice(i + 1)) {
      if (isWithin(a, b) || isWithin(b, a)) continue; // reported as a redundant root
      const [ma, mb] = [targetDatasetFor(target, a), targetDatasetFor(target, b)];
      if (ma === mb) {
        report(at, `${a} and ${b} both map to ${ma} on target '${target.name}' (strip_path ${target.stripPath})`);
      } else if (source.recursive && (isWithin(ma, mb) || isWithin(mb, ma))) {
        report(at, `${a} and ${b} map to ${ma} and ${mb} on target '${target.name}', one inside the other`);
      }
    }
  });
}

/**
 * Two pairs writing to the same host must not write into each other's datasets. A
 * non-recursive source writes only its mapped roots, so a dataset below one is not shared.
 */
function checkPairsOverlap(pairs: ResolvedPair[], report: Report): void {
  pairs.forEach((p, i) => {
    for (const q of pairs.slice(i + 1)) {
      if (p.target.host !== q.target.host) continue;
      const shared = sharedTarget(p, q) ?? sharedTarget(q, p);
      if (shared !== undefined) {
        report(['replicate', q.index], `pairs '${pairName(p.pair)}' and '${pairName(q.pair)}' both write under ${shared}`);
      }
    }
  });
}

/** A dataset that `inner` writes at or below a mapped root of `outer`. */
function sharedTarget(outer: ResolvedPair, inner: ResolvedPair): string | undefined {
  for (const a of outer.source.datasets) {
    const ma = targetDatasetFor(outer.target, a);
    for (const b of inner.source.datasets) {
      const mb = targetDatasetFor(inner.target, b);
      if (mb === ma || (outer.source.recursive && isWithin(mb, ma))) return mb;
    }
  }
  return undefined;
}

/**
 * Two snapshotting sources of one host must not select the same dataset: both would run
 * `zfs snapshot` on it under the same name and the second would fail half done. (Sources
 * selecting by property are checked by the planner, once the state shows what they select.)
 */
function checkSnapshotOverlap(spec: Spec, at: SpecLocator, report: Report): void {
  const sources = Object.values(spec.sources).filter((s) => s.snapshotEvery !== undefined && s.datasets.length > 0);
  sources.forEach((a, i) => {
    const inA = selects(a);
    for (const b of sources.slice(i + 1)) {
      if (a.host !== b.host) continue;
      const inB = selects(b);
      b.datasets.forEach((rb, j) => {
        const ia = a.datasets.findIndex((ra) => {
          const shared = isWithin(ra, rb) ? ra : isWithin(rb, ra) ? rb : undefined;
          return shared !== undefined && inA(shared) && inB(shared);
        });
        if (ia < 0) return;
        const ra = a.datasets[ia]!;
        const pa = at.value(['sources', a.name, 'datasets', ia]);
        report(
          ['sources', b.name, 'datasets', j],
          `${rb} overlaps ${ra} of source '${a.name}' (${pa.file}:${pa.line}:${pa.col}); both take snapshots, so both would snapshot ${isWithin(ra, rb) ? ra : rb} under one name: exclude it from one of them`,
        );
      });
    }
  });
}

/** A policy that keeps nothing would destroy every zfsync snapshot, the base of the next send with them. */
function checkRetention(spec: Spec, report: Report): void {
  const check = (section: string, name: string, policy: Spec['sources'][string]['retention']) => {
    if (policy && keepsNothing(policy)) {
      report([section, name, 'retention'], `retention keeps nothing: set at least one of ${RULES.join(', ')} above 0 (or remove retention to keep every snapshot)`, 'key');
    }
  };
  for (const s of Object.values(spec.sources)) check('sources', s.name, s.retention);
  for (const t of Object.values(spec.targets)) check('targets', t.name, t.retention);
}
