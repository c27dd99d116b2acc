// gzip without a hard dependency on node:zlib: the web CompressionStream (Node 18+, Deno, Bun, browsers,
// edge runtimes) first, node:zlib loaded on demand otherwise, and plain bytes when neither exists.

type Bytes = Uint8Array<ArrayBuffer>;
type Gzip = (bytes: Bytes) => Promise<Bytes>;

let cached: Promise<Gzip | null> | undefined;

async function webGzip(bytes: Bytes): Promise<Bytes> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function findGzip(): Promise<Gzip | null> {
  if (typeof CompressionStream === "function" && typeof Blob === "function" && typeof Response === "function") {
    return webGzip;
  }
  try {
    const zlib = (await import(/* webpackIgnore: true */ "node:zlib")) as typeof import("node:zlib");
    return (bytes) =>
      new Promise<Bytes>((resolve, reject) => zlib.gzip(bytes, (err, out) => (err ? reject(err) : resolve(new Uint8Array(out)))),
      );
  } catch {
    return null;
  }
}

/** gzip `bytes`, or null when this runtime has no gzip (the caller then sends them uncompressed). */
export async function gzip(bytes: Bytes): Promise<Bytes | null> {
  cached ??= findGzip();
  const fn = await cached;
  return fn ? fn(bytes) : null;
}
