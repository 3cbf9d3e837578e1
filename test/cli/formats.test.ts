// The CLI's file formats and argument parser: .npy against files NumPy wrote (fixtures/make-npy.py), CSV, and
// the strict option parsing with its one-line messages.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Args, helpText, parseArgs, type CommandSpec } from "../../src/cli/args.js";
import { float32Text, readCsv, writeCsv } from "../../src/cli/csv.js";
import { CliError, UsageError } from "../../src/cli/errors.js";
import { readNpy, writeNpy } from "../../src/cli/npy.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

describe(".npy", () => {
  it("reads NumPy's float32, float64, uint8, int32 and int64 files, and version 2.0", () => {
    const f4 = readNpy(fixture("f4-2x3.npy"), "f4");
    expect(f4.shape).toEqual([2, 3]);
    expect(Array.from(f4.data)).toEqual(Array.from(new Float32Array([0, 0.5, 1, 0.25, -1.5, 3e-5])));
    const f8 = readNpy(fixture("f8-2x2.npy"), "f8");
    expect(f8.dtype).toBe("<f8");
    expect(Array.from(f8.data)).toEqual([1 / 3, -2, 1e-300, 4.5]);
    const u1 = readNpy(fixture("u1-2x2x2.npy"), "u1");
    expect([u1.dtype, u1.shape]).toEqual(["|u1", [2, 2, 2]]);
    expect(Array.from(u1.data)).toEqual([0, 255, 128, 1, 2, 3, 4, 5]);
    expect(Array.from(readNpy(fixture("i8-labels.npy"), "i8").data)).toEqual([3, 1, 4, 1, 5]);
    expect(Array.from(readNpy(fixture("i4-labels.npy"), "i4").data)).toEqual([2, 7, 1]);
    const v2 = readNpy(fixture("v2-f4.npy"), "v2");
    expect(Array.from(v2.data)).toEqual(Array.from(f4.data));
  });

  it("writes float32 arrays byte for byte as NumPy does", () => {
    const values = new Float32Array([0, 0.5, 1, 0.25, -1.5, 3e-5]);
    expect(writeNpy(values, [2, 3])).toEqual(fixture("f4-2x3.npy"));
    const back = readNpy(writeNpy(new Float32Array([1, 2, 3]), [3]), "x");
    expect([back.shape, Array.from(back.data)]).toEqual([[3], [1, 2, 3]]);
  });

  it("refuses Fortran order, big-endian and other dtypes, truncation and trailing bytes, each with a reason", () => {
    expect(() => readNpy(fixture("fortran.npy"), "'a.npy'")).toThrow(/'a.npy': the array is in Fortran order/);
    expect(() => readNpy(fixture("big-endian.npy"), "b")).toThrow(/unsupported dtype '>f4' \(big-endian/);
    expect(() => readNpy(fixture("bool.npy"), "b")).toThrow(/unsupported dtype '\|b1'/);
    const f4 = fixture("f4-2x3.npy");
    expect(() => readNpy(f4.subarray(0, f4.length - 1), "t")).toThrow(/truncated: shape \(2, 3\) needs 152 bytes, the file has 151/);
    expect(() => readNpy(new Uint8Array([...f4, 0]), "t")).toThrow(/1 bytes after the data/);
    expect(() => readNpy(new Uint8Array(20), "z")).toThrow(CliError);
    expect(() => readNpy(new TextEncoder().encode("\x93NUMPY"), "z")).toThrow(/not a .npy file/);
  });
});

describe("CSV", () => {
  it("reads numbers with an optional header, skipping blank lines", () => {
    const t = readCsv("a,b\n1,2.5\n\n-3e-2, 4\n", "x.csv");
    expect([t.rows, t.cols, t.header]).toEqual([2, 2, ["a", "b"]]);
    expect(Array.from(t.values)).toEqual([1, 2.5, -0.03, 4]);
    expect(readCsv("1\r\n2\r\n", "x").header).toBeUndefined();
  });

  it("names the line and column of anything wrong", () => {
    expect(() => readCsv("1,2\n3\n", "'x.csv'")).toThrow("'x.csv': line 2 has 1 values; line 1 has 2");
    expect(() => readCsv("1,2\n3,abc\n", "'x.csv'")).toThrow("'x.csv': line 2, column 2 is 'abc'; expected a number");
    expect(() => readCsv("1,2\n3,\n", "x")).toThrow(/column 2 is ''/);
    expect(() => readCsv("1,2\n1,0x10\n", "x")).toThrow(/line 2, column 2 is .0x10.; expected a number/); // no hex
    expect(() => readCsv("a,b\n", "x")).toThrow(/no rows of numbers/);
  });

  it("writes the shortest text that reads back to the same float32", () => {
    const values = new Float32Array([0.1, 1 / 3, -2, 1e-30, 123456.789, 3.4e38]);
    for (const v of values) {
      expect(Math.fround(Number(float32Text(v)))).toBe(v);
      expect(float32Text(v).length).toBeLessThanOrEqual(String(v).length);
    }
    expect(float32Text(Math.fround(0.1))).toBe("0.1");
    const text = writeCsv(values, 3, ["x", "y", "z"]);
    const back = readCsv(text, "x");
    expect(Float32Array.from(back.values)).toEqual(values);
    expect(back.header).toEqual(["x", "y", "z"]);
  });
});

describe("argument parsing", () => {
  const spec: CommandSpec = {
    name: "demo", brief: "b", summary: "A demo command.",
    positionals: [{ name: "data", help: "input" }, { name: "extra", help: "more", optional: true }],
    options: [
      { name: "epochs", value: "n", help: "passes", default: "10" },
      { name: "learning-rate", aliases: ["lr"], value: "rate", help: "step", default: "0.001" },
      { name: "output", short: "o", value: "file", help: "out" },
      { name: "quiet", help: "hush" },
      { name: "range", value: "lo,hi", help: "r" },
    ],
  };
  const usage = (argv: string[]) => {
    try {
      parseArgs(argv, spec);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error("expected a UsageError");
  };

  it("reads long, short, aliased and --name=value options, switches and positionals", () => {
    const a = parseArgs(["in.csv", "--epochs", "3", "-o", "m.safetensors", "--lr=0.5", "--quiet", "--range", "-2,2"], spec);
    expect(a.positionals).toEqual(["in.csv"]);
    expect(a.whole("epochs", 10, 1)).toBe(3);
    expect(a.number("learning-rate", 1, { min: 0, open: true })).toBe(0.5);
    expect(a.string("output")).toBe("m.safetensors");
    expect(a.flag("quiet")).toBe(true);
    expect(a.numbers("range", undefined, 2)).toEqual([-2, 2]);
    expect(parseArgs(["--", "-weird-name"], spec).positionals).toEqual(["-weird-name"]);
    expect(parseArgs(["x"], spec).whole("epochs", 10, 1)).toBe(10);
  });

  it("says what is wrong in one line, with a hint for misspelt options", () => {
    expect(usage(["x", "--epoch", "3"])).toBe("unknown option '--epoch' (did you mean '--epochs'?); see vaekit demo --help");
    expect(usage(["x", "--learning-rat", "3"])).toMatch(/did you mean '--learning-rate'/);
    expect(usage(["x", "--zzzzzzzz"])).toBe("unknown option '--zzzzzzzz'; see vaekit demo --help");
    expect(usage(["x", "--epochs"])).toBe("--epochs needs a value (n)");
    expect(usage(["x", "--epochs="])).toBe("--epochs needs a value (n); got an empty one");
    expect(usage(["x", "--epochs", "1", "--epochs", "2"])).toBe("--epochs is given twice");
    expect(usage(["x", "--quiet=yes"])).toMatch(/--quiet is a switch and takes no value/);
    expect(usage([])).toBe("missing <data>; usage: vaekit demo <data> [<extra>] [options]");
    expect(usage(["a", "b", "c"])).toBe("unexpected argument 'c'; usage: vaekit demo <data> [<extra>] [options]");
    const bad = (argv: string[], f: (a: Args) => unknown) => {
      try {
        f(parseArgs(argv, spec));
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error("expected a UsageError");
    };
    expect(bad(["x", "--epochs", "x"], (a) => a.whole("epochs", 10, 1, 1e9))).toBe("--epochs must be a whole number ≥ 1; got 'x'");
    expect(bad(["x", "--epochs", "2.5"], (a) => a.whole("epochs", 10, 1))).toBe("--epochs must be a whole number ≥ 1; got '2.5'");
    expect(bad(["x", "--epochs", "0"], (a) => a.whole("epochs", 10, 1, 5))).toBe("--epochs must be a whole number from 1 to 5; got '0'");
    expect(bad(["x", "--epochs", "1e3"], (a) => a.whole("epochs", 10, 1))).toMatch(/whole number/);
    expect(bad(["x", "--lr", "-1"], (a) => a.number("learning-rate", 1, { min: 0, open: true }))).toBe("--learning-rate must be a number > 0; got '-1'");
    expect(bad(["x", "--lr", "Infinity"], (a) => a.number("learning-rate", 1, { min: 0 }))).toBe("--learning-rate must be a number ≥ 0; got 'Infinity'");
    expect(bad(["x", "--output", "rleu"], (a) => a.choice("output", ["relu", "tanh"], "relu"))).toBe("--output must be one of relu, tanh; got 'rleu' (did you mean 'relu'?)");
    expect(bad(["x", "--range", "1,2,3"], (a) => a.numbers("range", undefined, 2))).toMatch(/--range must be 2 comma-separated numbers/);
  });

  it("lists every option with its default in --help", () => {
    const text = helpText(spec);
    expect(text).toMatch(/^Usage: vaekit demo <data> \[<extra>\] \[options\]/);
    expect(text).toMatch(/--epochs <n>\s+passes \[default: 10\]/);
    expect(text).toMatch(/--learning-rate <rate>, --lr\s+step \[default: 0\.001\]/);
    expect(text).toMatch(/-o, --output <file>\s+out\n/);
    expect(text).toMatch(/-h, --help\s+show this help/);
  });
});
