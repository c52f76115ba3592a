// Where a source dataset lands on a target, and dataset containment.

export function isWithin(child: string, parent: string): boolean {
  return child === parent || child.startsWith(`${parent}/`);
}

/** `strip_path` drops that many leading components (the pool is the first) before appending. */
export function targetDatasetFor(target: { dataset: string; stripPath: number }, sourceDataset: string): string {
  const rest = sourceDataset.split('/').slice(target.stripPath);
  return rest.length === 0 ? target.dataset : `${target.dataset}/${rest.join('/')}`;
}
