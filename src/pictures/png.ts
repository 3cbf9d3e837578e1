// PNG encoding through fast-png (an optional peer dependency, loaded on first use): grey, RGB or RGBA, whichever
// keeps every pixel, 8 bits per channel, deflate level 9.
import { VaekitError } from "../errors.js";
import { checkPicture, type Picture } from "./picture.js";

type Encoder = (
  png: { width: number; height: number; data: Uint8Array | Uint8ClampedArray; depth: 8; channels: number },
  options: { zlib: { level: 9 } },
) => Uint8Array;
let encoder: Promise<Encoder> | undefined;

async function loadEncoder(): Promise<Encoder> {
  try {
    const mod = (await import("fast-png")) as unknown as { encode: Encoder };
    if (typeof mod.encode !== "function") throw new Error("it has no encode()");
    return mod.encode;
  } catch (e) {
    encoder = undefined;
    throw new VaekitError(
      "MISSING_DEPENDENCY",
      `encodePng needs the optional package fast-png, which could not be loaded (${(e as Error).message?.split("\n")[0]}); install it with: npm install fast-png`,
    );
  }
}

/** The fewest channels that keep every pixel: 1 (grey, opaque), 3 (opaque) or 4. */
function channelsOf(d: Uint8ClampedArray | Uint8Array): 1 | 3 | 4 {
  let grey = true;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] !== 255) return 4;
    if (grey && (d[i] !== d[i + 1] || d[i] !== d[i + 2])) grey = false;
  }
  return grey ? 1 : 3;
}

/**
 * Encodes a picture as PNG bytes (8 bits per channel; greyscale when every pixel is an opaque grey, RGB when every
 * pixel is opaque, RGBA otherwise). Needs the optional peer dependency fast-png (`npm install fast-png`), loaded on
 * the first call; without it the promise rejects with a VaekitError of code "MISSING_DEPENDENCY".
 *
 * @example
 * ```ts
 * import { writeFile } from "node:fs/promises";
 * import { imageGrid, encodePng } from "vaekit/pictures";
 * await writeFile("samples.png", await encodePng(imageGrid(vae.sample(64, { seed: 1 }), { shape: [28, 28] })));
 * ```
 */
export async function encodePng(picture: Picture): Promise<Uint8Array> {
  const p = checkPicture(picture, "encodePng");
  encoder ??= loadEncoder();
  const encode = await encoder;
  const channels = channelsOf(p.data);
  let data: Uint8Array | Uint8ClampedArray = p.data;
  if (channels !== 4) {
    data = new Uint8Array(p.width * p.height * channels);
    for (let i = 0, j = 0; i < p.data.length; i += 4, j += channels) {
      data[j] = p.data[i];
      if (channels === 3) {
        data[j + 1] = p.data[i + 1];
        data[j + 2] = p.data[i + 2];
      }
    }
  }
  return encode({ width: p.width, height: p.height, data, depth: 8, channels }, { zlib: { level: 9 } }); // smallest files
}
