/** Run the edgec command line (bin/edgec.js over the compiled dist/) and collect its exit code and output. */
import * as path from 'node:path';
import { execFile } from 'node:child_process';

const BIN = path.resolve('bin/edgec.js');

/** `edgec <args>` in a child process; resolves with the exit code, stdout and stderr. */
export function edgec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
