// Semantic checks of rebase groups: what zfs clone and the swap of names need, and groups that
// would fight over one dataset.
import type { RebaseSpec, Spec } from '../types.js';
import { compileMemberGlob, isMemberGlob, poolOf } from '../rebase/glob.js';
import { isWithin } from './mapping.js';
import type { SpecPath } from './positions.js';

type Report = (path: SpecPath, message: string, where?: 'value' | 'key') => void;

const matchesOrBelow = (pattern: string, name: string): boolean => {
  const m = compileMemberGlob(pattern);
  const parts = name.split('/');
  return parts.some((_, i) => m(parts.slice(0, i + 1).join('/'))) || (!isMemberGlob(pattern) && isWithin(name, pattern));
};

/** Two patterns that can name one dataset: equal, or one matches the other's text. */
const overlap = (a: string, b: string): boolean => a === b || compileMemberGlob(a)(b) || compileMemberGlob(b)(a);

export function checkRebaseGroups(spec: Spec, report: Report): void {
  const groups = Object.values(spec.rebase);
  for (const g of groups) checkGroup(g, report);
  groups.forEach((a, i) => {
    for (const b of groups.slice(i + 1)) {
      if (a.host !== b.host) continue;
      b.datasets.forEach((pb, j) => {
        const pa = a.datasets.find((x) => overlap(x, pb));
        if (pa !== undefined) report(['rebase', b.name, 'datasets', j], `${pb} overlaps ${pa} of rebase group '${a.name}': a dataset can be rebuilt by one group only`);
      });
    }
    for (const other of groups) {
      if (other === a || other.host !== a.host) continue;
      const p = other.datasets.find((x) => matchesOrBelow(x, a.base.dataset));
      if (p !== undefined) report(['rebase', a.name, 'base'], `base ${a.base.dataset} lies inside ${p}, a member of rebase group '${other.name}'; put the base outside its members`);
    }
  });
}

function checkGroup(g: RebaseSpec, report: Report): void {
  const at = ['rebase', g.name];
  const basePool = poolOf(g.base.dataset);
  g.datasets.forEach((pattern, i) => {
    const pool = poolOf(pattern);
    if (pool === undefined) report([...at, 'datasets', i], `${pattern}: the pool part of a member cannot be a glob`);
    else if (pool !== basePool) report([...at, 'datasets', i], `${pattern} is in pool ${pool} but the base ${g.base.dataset} is in ${basePool}: zfs clone needs members and base in one pool`);
    if (pattern === g.base.dataset || compileMemberGlob(pattern)(g.base.dataset)) report([...at, 'datasets', i], `${pattern} names the base ${g.base.dataset} itself; the base cannot be a member`);
    else if (!isMemberGlob(pattern) && isWithin(g.base.dataset, pattern)) report([...at, 'base'], `base ${g.base.dataset} lies inside member ${pattern}; put the base outside its members`);
  });
  if (g.seed !== 'all' && !g.datasets.some((p) => compileMemberGlob(p)(g.seed))) {
    report([...at, 'seed'], `seed ${g.seed} is not a member of this group (datasets: ${g.datasets.join(', ')}); name a member or use 'all'`);
  }
  if (!g.replace && g.keepOriginals === 'destroy') {
    report([...at, 'keep_originals'], `keep_originals: destroy contradicts replace: false (the original is kept at its name); drop one of them`);
  }
}
