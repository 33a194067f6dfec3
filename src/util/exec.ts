/** Running external tools with captured output and readable failures. */
import { execFile } from 'node:child_process';

/** Result of a finished process. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a program to completion (no shell); never rejects, the caller inspects `code`. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr) || (err && code !== 0 && !stderr ? err.message : ''), code });
    });
  });
}

/** Whether a program is on PATH. */
export async function hasTool(cmd: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${cmd}`]);
  return r.code === 0 && r.stdout.trim().length > 0;
}
