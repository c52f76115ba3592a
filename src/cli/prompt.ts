import { createInterface } from 'node:readline';
import type { Io } from './io.js';

/** Asks Terraform style; only the exact answer `yes` approves. End of input declines. */
export async function confirm(io: Io, question: string): Promise<boolean> {
  io.stdout.write(`${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('line', (line) => resolve(line));
      rl.once('close', () => resolve(undefined));
      // Interrupted while asking: no answer (SIGINT no longer ends the process by itself).
      if (io.signal?.aborted) resolve(undefined);
      io.signal?.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    io.stdout.write('\n');
    return answer?.trim() === 'yes';
  } finally {
    rl.close();
  }
}
