// Loaded with `node --import`: prints the process's peak resident size (all threads) on stderr at exit.
import { writeSync } from 'node:fs';
process.on('exit', () => writeSync(2, `MAXRSS_KB ${process.resourceUsage().maxRSS}\n`));
