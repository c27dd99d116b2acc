// Progress on stderr: on a terminal, one bar per stage redrawn in place (at most every 80 ms) and left
// as a finished line; elsewhere (pipes, CI logs) plain lines at the start, each quarter and the end of
// a stage, so logs stay readable and short.

export type ProgressStream = { write(text: string): unknown; isTTY?: boolean; columns?: number };

export type Stage = {
  update(fraction: number, message?: string): void;
  finish(summary?: string): void;
};

export type ProgressReporter = {
  stage(name: string): Stage;
  /** A line that does not belong to a stage (warnings); drawn above the current bar. */
  note(text: string): void;
};

const BAR_WIDTH = 24;
const REDRAW_MS = 80;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function createProgress(stream: ProgressStream, opts: { enabled?: boolean; now?: () => number } = {}): ProgressReporter {
  const enabled = opts.enabled ?? true;
  const now = opts.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  let liveLine = false;

  const clearLive = () => {
    if (liveLine) {
      stream.write("\r\x1b[2K");
      liveLine = false;
    }
  };

  return {
    note(text) {
      if (!enabled) return;
      clearLive();
      stream.write(`${text}\n`);
    },
    stage(name) {
      const started = now();
      let lastDraw = -Infinity;
      let lastQuarter = -1;
      let lastMessage = "";
      let finished = false;
      const label = name.padEnd(9);
      if (enabled && !tty) stream.write(`${name}: started\n`);
      return {
        update(fraction, message) {
          if (!enabled || finished) return;
          const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
          if (message) lastMessage = message;
          if (tty) {
            const t = now();
            if (t - lastDraw < REDRAW_MS && f < 1) return;
            lastDraw = t;
            const filled = Math.round(f * BAR_WIDTH);
            const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
            const width = Math.max(40, (stream.columns || 100) - 1);
            const line = `${label} ${bar} ${String(Math.round(f * 100)).padStart(3)}%  ${seconds(t - started).padStart(7)}  ${lastMessage}`;
            stream.write(`\r\x1b[2K${line.slice(0, width)}`);
            liveLine = true;
          } else {
            const quarter = Math.floor(f * 4);
            if (quarter > lastQuarter && quarter > 0 && quarter < 4) {
              lastQuarter = quarter;
              stream.write(`${name}: ${quarter * 25}%${lastMessage ? ` (${lastMessage})` : ""}\n`);
            }
          }
        },
        finish(summary) {
          if (!enabled || finished) return;
          finished = true;
          const took = seconds(now() - started);
          if (tty) {
            clearLive();
            stream.write(`${label} done in ${took}${summary ? `  ${summary}` : ""}\n`);
          } else {
            stream.write(`${name}: done in ${took}${summary ? ` (${summary})` : ""}\n`);
          }
        },
      };
    },
  };
}
