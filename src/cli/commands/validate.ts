import { plural } from '../../plan/format.js';
import { out, type Io } from '../io.js';
import { loadSupportedSpec } from '../session.js';

export async function validateCommand(io: Io, flags: { config: string }): Promise<number> {
  const spec = await loadSupportedSpec(flags.config);
  const n = (o: object) => Object.keys(o).length;
  out(io, `${spec.file} is valid: ${plural(n(spec.sources), 'source')}, ${plural(n(spec.targets), 'target')}, ${plural(spec.replicate.length, 'pair')}.`);
  return 0;
}
