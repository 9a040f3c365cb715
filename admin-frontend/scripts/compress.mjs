// Writes NAME.gz and NAME.br beside each compressible file of the built app (dist/), so the server can send
// them as they are to browsers that accept them instead of compressing on every request.
//   node scripts/compress.mjs [DIR]   (default: dist)
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { constants, brotliCompressSync, gzipSync } from 'node:zlib';

const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json']);

async function* files(dir) {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.has(extname(entry.name))) yield path;
  }
}

const dir = process.argv[2] || 'dist';
let count = 0, before = 0, after = 0;
for await (const path of files(dir)) {
  const raw = await readFile(path);
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  // a tiny file can come out larger: the server then sends it as it is
  if (gz.length < raw.length) await writeFile(path + '.gz', gz);
  if (br.length < raw.length) await writeFile(path + '.br', br);
  count++; before += raw.length; after += Math.min(br.length, raw.length);
}
console.log(`compressed ${count} files in ${dir}: ${before} bytes, ${after} with brotli`);
