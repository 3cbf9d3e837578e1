// Byte access for the streaming readers: random access (a file in Node through an fs handle, a Blob/File in a
// browser) and sequential streams (a ReadableStream, a Response's body, a file read in blocks), gzip inflated on the
// way by the standard DecompressionStream. Node's fs is imported dynamically, only when a path is opened, so
// browsers and Workers never load it.
import { InvalidInputError } from "../errors.js";
import { kind } from "../errors-format.js";

/**
 * What a reader counts: bytes read, reads, and the bytes of its own buffers (now and at most).
 *
 * @example
 * ```ts
 * const { bytesRead, peakHeldBytes }: ReaderStats = source.stats;
 * ```
 */
export interface ReaderStats {
  /** Bytes read from the file or stream so far (compressed bytes for gzip). */
  bytesRead: number;
  /** Reads made (random access) or chunks taken (streams). */
  reads: number;
  /** Bytes of buffers the reader holds now (raw bytes not yet decoded, partial lines, pending chunks). */
  heldBytes: number;
  /** The most `heldBytes` has been. */
  peakHeldBytes: number;
}

export const newStats = (): ReaderStats => ({ bytesRead: 0, reads: 0, heldBytes: 0, peakHeldBytes: 0 });

/** Counts `n` more (or, negative, fewer) held bytes. */
export function hold(s: ReaderStats, n: number): void {
  s.heldBytes += n;
  if (s.heldBytes > s.peakHeldBytes) s.peakHeldBytes = s.heldBytes;
}

/** A file or Blob read at any position; each read's bytes count as held until the caller releases them (hold −len). */
export interface RandomBytes {
  readonly size: number;
  read(pos: number, len: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Where bytes come from: a path or file: URL (Node), a Blob or File (browsers, Workers, Node).
 *
 * @example
 * ```ts
 * const input: ByteInput = fileInput.files[0]; // or "data/train.npy" in Node
 * ```
 */
export type ByteInput = string | URL | Blob;

/** Opens `input` for reads at any position; `what` prefixes errors. */
export async function openRandom(input: ByteInput, what: string, stats: ReaderStats): Promise<RandomBytes> {
  if (typeof Blob !== "undefined" && input instanceof Blob) {
    return {
      size: input.size,
      read: async (pos, len) => {
        const b = new Uint8Array(await input.slice(pos, pos + len).arrayBuffer());
        if (b.length !== len) throw new InvalidInputError(`${what}: the Blob ended at byte ${pos + b.length}`);
        hold(stats, len);
        stats.bytesRead += len;
        stats.reads++;
        return b;
      },
      close: async () => undefined,
    };
  }
  if (typeof input !== "string" && !(input instanceof URL)) {
    throw new InvalidInputError(`${what}: expected a file path, a file: URL or a Blob; got ${kind(input)}`);
  }
  let fs: typeof import("node:fs/promises");
  try {
    fs = await import("node:fs/promises");
  } catch {
    throw new InvalidInputError(`${what}: this runtime has no file system; pass a Blob/File, or a ReadableStream or Response to streamBatches`);
  }
  const fh = await fs.open(input, "r").catch((e: Error) => {
    throw new InvalidInputError(`${what}: can't open ${String(input)} (${e.message})`);
  });
  const size = (await fh.stat()).size;
  return {
    size,
    read: async (pos, len) => {
      const b = new Uint8Array(len);
      hold(stats, len);
      try {
        for (let at = 0; at < len;) {
          const { bytesRead } = await fh.read(b, at, len - at, pos + at);
          if (bytesRead === 0) throw new InvalidInputError(`${what}: the file ended at byte ${pos + at}; it was ${size} bytes when opened`);
          at += bytesRead;
          stats.bytesRead += bytesRead;
        }
        stats.reads++;
        return b;
      } catch (e) {
        hold(stats, -len);
        if (e instanceof InvalidInputError) throw e;
        throw new InvalidInputError(`${what}: reading ${len} bytes at byte ${pos} failed (${(e as Error).message}); was the source closed?`);
      }
    },
    close: () => fh.close(),
  };
}

/**
 * Where a byte stream comes from: a ReadableStream of bytes, a Response (its body), a path or a Blob.
 *
 * @example
 * ```ts
 * const input: StreamInput = await fetch("/data/train.csv.gz");
 * ```
 */
export type StreamInput = ReadableStream<Uint8Array> | Response | ByteInput;

/** A sequential byte stream, gzip inflated (recognised by its magic bytes), as a pull reader. */
export async function openStream(input: StreamInput, what: string, stats: ReaderStats, blockBytes: number): Promise<Pull> {
  let stream: ReadableStream<Uint8Array>;
  if (typeof Response !== "undefined" && input instanceof Response) {
    if (!input.ok) throw new InvalidInputError(`${what}: the response is ${input.status} ${input.statusText}`);
    if (!input.body) throw new InvalidInputError(`${what}: the response has no body`);
    stream = input.body;
  } else if (typeof ReadableStream !== "undefined" && input instanceof ReadableStream) {
    stream = input;
  } else {
    const file = await openRandom(input as ByteInput, what, stats);
    let pos = 0;
    stream = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        if (pos >= file.size) {
          await file.close();
          c.close();
          return;
        }
        const len = Math.min(blockBytes, file.size - pos);
        const b = await file.read(pos, len); // counted as held until the pull reader takes it apart
        pos += len;
        c.enqueue(b);
      },
      cancel: () => file.close(),
    }, { highWaterMark: 0 });
    return Pull.of(stream, what, stats, true);
  }
  if (stream.locked) throw new InvalidInputError(`${what}: the stream is locked (already being read); pass a fresh stream`);
  return Pull.of(stream, what, stats, false);
}

/**
 * Takes exact byte counts out of a stream of chunks, holding no more than the bytes asked for plus one chunk.
 * Inflates gzip (magic 1f 8b) on the way.
 */
export class Pull {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #have = 0;
  #done = false;
  /** Whether the chunks' bytes were already counted as held (file blocks) or are counted here. */
  readonly #counted: boolean;
  gzip = false;

  private constructor(reader: ReadableStreamDefaultReader<Uint8Array>, readonly what: string, readonly stats: ReaderStats, counted: boolean) {
    this.#reader = reader;
    this.#counted = counted;
  }

  static async of(stream: ReadableStream<Uint8Array>, what: string, stats: ReaderStats, counted: boolean): Promise<Pull> {
    const raw = stream.getReader();
    let first: ReadableStreamReadResult<Uint8Array>;
    do first = await raw.read(); while (!first.done && first.value.length === 0);
    const head = first.done ? new Uint8Array(0) : first.value;
    if (!counted) stats.bytesRead += head.length;
    const gz = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    // the first chunk back in front of the rest
    let sent = false;
    const whole = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        if (!sent) {
          sent = true;
          if (head.length) c.enqueue(head);
          else c.close();
          return;
        }
        const r = await raw.read();
        if (r.done) c.close();
        else {
          if (!counted) stats.bytesRead += r.value.length;
          c.enqueue(r.value);
        }
      },
      cancel: (why) => raw.cancel(why),
    }, { highWaterMark: 0 });
    if (!gz) {
      const p = new Pull(whole.getReader(), what, stats, counted);
      return p;
    }
    if (typeof DecompressionStream != "function") {
      throw new InvalidInputError(`${what}: the input is gzipped but this runtime has no DecompressionStream; pass the inflated bytes`);
    }
    if (counted) {
      // compressed blocks were counted as held by the file reader; they are released as the inflater takes them
      const release = new TransformStream<Uint8Array, Uint8Array>({ transform: (b, c) => { hold(stats, -b.length); c.enqueue(b); } });
      const p = new Pull(whole.pipeThrough(release).pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>).getReader(), what, stats, false);
      p.gzip = true;
      return p;
    }
    const p = new Pull(whole.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>).getReader(), what, stats, false);
    p.gzip = true;
    return p;
  }

  /** Bytes buffered now. */
  get buffered(): number {
    return this.#have;
  }

  /** Buffers at least n bytes unless the stream ends first; returns how many are buffered. */
  async fill(n: number): Promise<number> {
    while (this.#have < n && !this.#done) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await this.#reader.read();
      } catch (e) {
        if (e instanceof InvalidInputError) throw e;
        throw new InvalidInputError(`${this.what}: the ${this.gzip ? "gzip data is corrupt or truncated" : "stream failed"} (${(e as Error).message})`);
      }
      if (r.done) this.#done = true;
      else if (r.value.length) {
        this.#chunks.push(r.value);
        this.#have += r.value.length;
        if (!this.#counted) hold(this.stats, r.value.length);
        this.stats.reads++;
      }
    }
    return this.#have;
  }

  /** Up to n buffered bytes, removed from the buffer (a copy when they span chunks). */
  take(n: number): Uint8Array {
    n = Math.min(n, this.#have);
    let out: Uint8Array;
    const first = this.#chunks[0];
    if (first && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      for (let at = 0; at < n;) {
        const c = this.#chunks[0];
        const k = Math.min(c.length, n - at);
        out.set(c.subarray(0, k), at);
        at += k;
        if (k === c.length) this.#chunks.shift();
        else this.#chunks[0] = c.subarray(k);
      }
    }
    this.#have -= n;
    hold(this.stats, -n);
    return out;
  }

  /** The buffered bytes up to (not including) the first byte `b`, removed with it; undefined when none is buffered. */
  takeUntil(b: number, max: number): Uint8Array | undefined {
    let at = 0;
    for (const c of this.#chunks) {
      const i = c.indexOf(b);
      if (i >= 0) {
        const line = this.take(at + i);
        this.take(1);
        return line;
      }
      at += c.length;
      if (at > max) break;
    }
    return undefined;
  }

  get ended(): boolean {
    return this.#done;
  }

  async cancel(): Promise<void> {
    hold(this.stats, -this.#have);
    this.#chunks = [];
    this.#have = 0;
    await this.#reader.cancel().catch(() => undefined);
  }
}
