// A first-fit allocator with coalescing over the part of linear memory above the module's heap base.
// Blocks are 16-byte aligned and followed by at least 16 bytes of slack (a kernel may read one vector past
// the end of a tensor). Memory grows only when no free block fits, and only between kernel calls.

import { VaekitError } from "../errors.js";

const ALIGN = 16;
const SLACK = 16;
const PAGE = 65536;

interface Block {
  ptr: number;
  size: number;
}

export class Allocator {
  private readonly free: Block[] = []; // sorted by ptr, coalesced
  private readonly used = new Map<number, number>(); // ptr -> size
  private top: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
    private readonly onGrow: () => void,
  ) {
    this.top = (heapBase + ALIGN - 1) & ~(ALIGN - 1);
  }

  /** Bytes currently handed out. */
  get bytesInUse(): number {
    let n = 0;
    for (const s of this.used.values()) n += s;
    return n;
  }

  /** Allocates `bytes` (zeroed) and returns the byte offset. */
  alloc(bytes: number): number {
    // plain arithmetic, not 32-bit bit operations (which wrap past 2^31): memory past wasm32's 4 GiB, or that the
    // engine refuses, is a typed error when it can't grow, never a wrapped offset into memory already in use
    const size = Math.ceil((Math.max(bytes, 1) + SLACK) / ALIGN) * ALIGN;
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        ptr = b.ptr;
        if (b.size === size) this.free.splice(i, 1);
        else {
          b.ptr += size;
          b.size -= size;
        }
        break;
      }
    }
    if (ptr < 0) {
      ptr = this.top;
      const end = ptr + size;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE);
        const extra = Math.max(pages, Math.ceil(have / PAGE / 4)); // grow by ≥ 25 % to keep grows rare
        try {
          this.memory.grow(extra);
        } catch {
          try {
            this.memory.grow(pages);
          } catch {
            throw new VaekitError("OUT_OF_MEMORY", `no room for ${size} bytes`);
          }
        }
        this.onGrow();
      }
      this.top = end;
    }
    this.used.set(ptr, size);
    new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    return ptr;
  }

  /** Returns a block to the free list (0 is ignored). */
  release(ptr: number): void {
    if (ptr === 0) return;
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`vaekit internal: double free or foreign pointer ${ptr}`);
    this.used.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    // merge with the next, then the previous block
    const cur = this.free[i];
    const next = this.free[i + 1];
    if (next && cur.ptr + cur.size === next.ptr) {
      cur.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.size === cur.ptr) {
      prev.size += cur.size;
      this.free.splice(i, 1);
    }
    // give a trailing free block back to the bump pointer
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }
}
