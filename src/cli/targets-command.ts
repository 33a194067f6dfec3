/** `edgec targets`: the targets in targets/*.json. */
import type { CommandModule } from 'yargs';
import { listTargets } from '../targets/targets.js';

export const targetsCommand: CommandModule = {
  command: 'targets',
  describe: 'list the targets edgec can build for (targets/*.json)',
  builder: (y) => y.option('json', { type: 'boolean', describe: 'print the target files as JSON' }),
  handler: (argv) => {
    const ts = listTargets();
    if (argv.json) {
      process.stdout.write(`${JSON.stringify(ts, null, 2)}\n`);
      return;
    }
    const w = Math.max(...ts.map((t) => t.name.length));
    for (const t of ts) {
      const caches = [t.memory.l1Bytes, t.memory.l2Bytes, t.memory.l3Bytes].filter((b) => b !== undefined && b > 0).map((b) => `${b! / 1024}K`).join('/');
      process.stdout.write(`${t.name.padEnd(w)}  ${t.backend.padEnd(5)} ${t.isa.padEnd(10)} ${(t.features.join(',') || '-').padEnd(18)} ${(t.simd ?? '-').padEnd(13)} ${caches.padEnd(14)} ${t.description}\n`);
    }
  },
};
