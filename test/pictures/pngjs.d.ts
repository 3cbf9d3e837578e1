// The part of pngjs (a devDependency without bundled types) the tests use to decode PNG files independently.
declare module "pngjs" {
  export const PNG: {
    sync: {
      read(buffer: Buffer): { width: number; height: number; data: Buffer };
    };
  };
}
