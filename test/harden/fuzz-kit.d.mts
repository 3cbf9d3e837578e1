// Types of fuzz-kit.mjs (plain JavaScript, shared with bench/fuzz.mjs).
export type Kind = "model" | "torch" | "idx" | "npy" | "csv";
export function rng(seed: number): () => number;
export function rawSafetensors(entries: [string, string, number[], Uint8Array][], metadata?: Record<string, string>): Uint8Array;
export function seeds(lib: unknown): Promise<[Kind, string, Uint8Array][]>;
export function mutate(b: Uint8Array, r: () => number): Uint8Array;
export function attempt(lib: unknown, kind: Kind, bytes: Uint8Array, r: () => number):
  Promise<{ outcome: "loaded" | "typed" | "other"; error?: unknown; memory?: number }>;
