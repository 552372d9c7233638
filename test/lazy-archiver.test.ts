/**
 * Both projects' `archiver` (jest.config.js moduleNameMapper -> test/helpers/lazy-archiver.js): cdktf
 * loads without it, and a call still zips with the real package.
 */
import { Writable } from "node:stream";

test("the mapped archiver is a stand-in until called, then makes a real zip", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const archiver = require("archiver") as (format: string) => {
    append(data: string, opts: { name: string }): void;
    pipe(out: Writable): void;
    finalize(): Promise<void>;
  };
  // The stand-in (the package itself exports `vending`, with create/registerFormat).
  expect(archiver.name).toBe("archiver");
  expect(Object.keys(archiver)).toEqual([]);
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  const zip = archiver("zip");
  zip.pipe(out);
  zip.append("hello", { name: "a.txt" });
  await zip.finalize();
  const bytes = Buffer.concat(chunks);
  // A local file header, the entry's name, and the end-of-central-directory record.
  expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  expect(bytes.includes(Buffer.from("a.txt"))).toBe(true);
  expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x05, 0x06]))).toBe(true);
});
