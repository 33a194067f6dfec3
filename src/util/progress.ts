/** Progress display for long steps (import, passes, compile, verify): a cli-progress bar on a terminal, plain lines elsewhere. */
import cliProgress from 'cli-progress';

/** Receives progress events from the build; the CLI shows them, tests ignore them. */
export interface Progress {
  /** A step of `total` units begins. */
  start(step: string, total: number): void;
  /** `done` units of the current step are finished; `detail` names the current item. */
  update(done: number, detail?: string): void;
  /** The current step ended. */
  stop(): void;
}

/** Progress that shows nothing. */
export const silentProgress: Progress = { start() {}, update() {}, stop() {} };

/** Progress on stderr: a bar when stderr is a terminal, one line per step otherwise. */
export function terminalProgress(): Progress {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  let t0 = 0;
  let name = '';
  return {
    start(step, total) {
      name = step;
      t0 = Date.now();
      if (tty) {
        bar = new cliProgress.SingleBar(
          { format: `${step.padEnd(10)} {bar} {value}/{total} {detail}`, stream: process.stderr, clearOnComplete: false, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(total, 1), 0, { detail: '' });
      }
    },
    update(done, detail) {
      bar?.update(done, { detail: (detail ?? '').slice(0, 40) });
    },
    stop() {
      if (bar) {
        bar.stop();
        bar = undefined;
      } else process.stderr.write(`${name.padEnd(10)} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    },
  };
}
