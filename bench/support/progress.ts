import cliProgress from 'cli-progress';

/** Progress of a long phase: a bar on a terminal, a plain line every few seconds otherwise (CI logs). */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function startProgress(label: string, total: number, unit: string): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta}s`,
        stream: process.stderr,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(total, 0, { rate: 0 });
    return {
      update(done) {
        bar.update(Math.min(done, total), {
          rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)),
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const started = Date.now();
  let lastLine = started;
  return {
    update(done) {
      const now = Date.now();
      if (now - lastLine < 5_000) return;
      lastLine = now;
      const rate = Math.round(done / ((now - started) / 1000));
      process.stderr.write(`${label}: ${done}/${total} ${unit} (${rate} ${unit}/s)\n`);
    },
    stop() {
      process.stderr.write(`${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}
