// Builds widget/handoff.js from src/ (one minified, self-contained IIFE script) plus precompressed
// handoff.js.gz and handoff.js.br beside it, served as they are by the server.
//   node build.mjs               write into widget/
//   node build.mjs --out DIR     write into DIR instead (size_check.py compares that with the committed files)
// The output is deterministic: same sources and esbuild version, same bytes.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, brotliCompressSync, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const BANNER = `/*! Handoff chat widget, built from widget/src by widget/build.mjs. Embed with:
 * <script src="https://HOST/widget/handoff.js" data-key="WIDGET_KEY" async></script> */
"use strict";`; // the sources are ES modules, strict already; an IIFE bundle would otherwise run sloppy
// The script, and its lazily loaded parts (format 'esm'), each fetched by the script with import() from
// /widget/ when first needed (README.md): handoff-csat.js is the rating prompt after staff close.
const ENTRIES = [
  { src: 'src/main.js', out: 'handoff.js', format: 'iife' },
  { src: 'src/csat.js', out: 'handoff-csat.js', format: 'esm' },
];

// styles.css is imported as a string (it goes into the Shadow DOM's <style>), minified on the way
const cssAsText = {
  name: 'css-as-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await esbuild.transform(await readFile(args.path, 'utf8'), { loader: 'css', minify: true });
      return { contents: code.trim(), loader: 'text' };
    });
  },
};

function outDir(argv) {
  const i = argv.indexOf('--out');
  if (i < 0) return HERE;
  if (!argv[i + 1]) throw new Error('--out needs a directory');
  return resolve(argv[i + 1]);
}

async function bundle(entry) {
  const result = await esbuild.build({
    entryPoints: [join(HERE, entry.src)],
    bundle: true,
    format: entry.format,
    minify: true,
    legalComments: 'none',
    banner: { js: BANNER },
    charset: 'utf8', // keep the texts' accents as they are instead of \u escapes: smaller
    plugins: [cssAsText],
    write: false,
    logLevel: 'warning',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

async function main() {
  const dir = outDir(process.argv.slice(2));
  await mkdir(dir, { recursive: true });
  for (const entry of ENTRIES) {
    const js = await bundle(entry);
    const gz = gzipSync(js, { level: 9 });
    const br = brotliCompressSync(js, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: js.length,
      },
    });
    const file = join(dir, entry.out);
    await Promise.all([writeFile(file, js), writeFile(file + '.gz', gz), writeFile(file + '.br', br)]);
    console.log(`${entry.out}: ${js.length} bytes, ${gz.length} gzipped, ${br.length} brotli`);
  }
}

await main();
