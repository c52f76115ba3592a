// bin/zfsync.js, but from the sources (no build needed): tests start it as a real process.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
