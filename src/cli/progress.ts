// Progress of long work on stderr: on a terminal, one line redrawn in place (a bar, the rate and the time left);
// elsewhere (a pipe, a log file), plain lines at most every few seconds and whenever the caller reports a step.

/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}

export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "?";
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString("en-US") : perSecond.toPrecision(3);
}

/** A progress line for work measured in units (examples), over a known total. */
export class Progress {
  readonly #out: ProgressStream;
  readonly #now: () => number;
  readonly #unit: string;
  readonly #quiet: boolean;
  #start = 0;
  #lastDraw = -Infinity;
  #drawn = false;
  #total = 1;

  constructor(out: ProgressStream, options: { unit: string; quiet?: boolean; now?: () => number }) {
    this.#out = out;
    this.#now = options.now ?? (() => performance.now());
    this.#unit = options.unit;
    this.#quiet = options.quiet ?? false;
  }

  get tty(): boolean {
    return this.#out.isTTY === true;
  }

  /** Starts timing `total` units of work. */
  start(total: number): void {
    this.#total = Math.max(1, total);
    this.#start = this.#now();
    this.#lastDraw = -Infinity;
  }

  /** Seconds since start. */
  elapsed(): number {
    return (this.#now() - this.#start) / 1000;
  }

  /**
   * Reports `done` units of the total: `label` leads the line (e.g. "epoch 2/10"), `detail` follows it (e.g. the
   * loss). Redrawn at most 10 times a second on a terminal; a plain line at most every 10 s otherwise.
   */
  update(done: number, label: string, detail = ""): void {
    if (this.#quiet) return;
    const t = this.#now();
    const final = done >= this.#total;
    if (t - this.#lastDraw < (this.tty ? 100 : 10_000) && !final) return;
    this.#lastDraw = t;
    const seconds = (t - this.#start) / 1000;
    const perSecond = seconds > 0 ? done / seconds : NaN;
    const eta = done > 0 ? (this.#total - done) / perSecond : NaN;
    const speed = `${rate(perSecond)} ${this.#unit}/s`;
    const left = `ETA ${duration(eta)}`;
    if (!this.tty) {
      this.#out.write(`${label}  ${Math.floor((100 * done) / this.#total)}%  ${speed}  ${left}${detail ? `  ${detail}` : ""}\n`);
      return;
    }
    const columns = Math.max(40, (this.#out.columns ?? 80) - 1);
    const tail = ` ${Math.floor((100 * done) / this.#total)}% ${speed} ${left}${detail ? ` ${detail}` : ""}`;
    const barWidth = Math.max(10, Math.min(30, columns - label.length - tail.length - 3));
    const filled = Math.round((barWidth * Math.min(done, this.#total)) / this.#total);
    const text = `${label} [${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]${tail}`;
    this.#out.write(`\r\x1b[K${text.slice(0, columns)}`);
    this.#drawn = true;
  }

  /** A permanent line (e.g. an epoch's summary), printed below (or instead of) the bar. */
  line(text: string): void {
    if (this.#quiet) return;
    this.clear();
    this.#out.write(`${text}\n`);
    this.#lastDraw = this.tty ? -Infinity : this.#now();
  }

  /** Removes the bar from a terminal. */
  clear(): void {
    if (this.#drawn) {
      this.#out.write("\r\x1b[K");
      this.#drawn = false;
    }
  }
}
