// A group's members on its host: literal names as given, globs matched against the host's state.
// A glob never matches zfsync's temporary datasets, the base, or `<name><suffix>` (a replaced
// original or a clone made with replace: false); a member half way through its rebuild (only its
// temporary clone there) is still found through that clone's name.
import type { HostState, RebaseSpec } from '../types.js';
import { compileMemberGlob, isMemberGlob } from './glob.js';
import { isTempName, tempName } from './names.js';

export function resolveMembers(group: RebaseSpec, hs: HostState, prefix: string): string[] {
  const found = new Set<string>();
  const excluded = (name: string) => name === group.base.dataset || isTempName(name, prefix) || name.endsWith(group.suffix);
  for (const pattern of group.datasets) {
    if (!isMemberGlob(pattern)) {
      found.add(pattern);
      continue;
    }
    const matches = compileMemberGlob(pattern);
    for (const name of hs.datasets.keys()) {
      if (!excluded(name) && matches(name)) found.add(name);
      const fresh = name.endsWith(`.${prefix}-rebase-new`) ? name.slice(0, -`.${prefix}-rebase-new`.length) : undefined;
      if (fresh !== undefined && tempName(fresh, prefix, 'new') === name && !excluded(fresh) && matches(fresh)) found.add(fresh);
    }
  }
  return [...found].sort();
}
