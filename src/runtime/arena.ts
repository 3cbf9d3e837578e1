// One allocation carved into named f32 buffers (each 16-byte aligned with a vector of slack), freed together.
import type { Engine } from "./engine.js";

export class Arena<K extends string> {
  readonly ptr: Record<K, number>;
  private readonly base: number;

  constructor(private readonly e: Engine, sizes: Record<K, number>) {
    let total = 0;
    const offsets = {} as Record<K, number>;
    for (const key of Object.keys(sizes) as K[]) {
      offsets[key] = total;
      total += Math.ceil(sizes[key] / 4) * 4 + 4;
    }
    this.base = e.alloc(total);
    this.ptr = {} as Record<K, number>;
    for (const key of Object.keys(sizes) as K[]) this.ptr[key] = this.base + offsets[key] * 4;
  }

  free(): void {
    this.e.release(this.base);
  }
}
