"""Check the built widget: print its raw, gzipped and brotli sizes; exit 1 when the gzipped file is over the
15 KB budget, or when the committed handoff.js (or its .gz/.br) is not what `npm run build` makes from src/.

The staleness check runs build.mjs into a temporary directory and compares, so it needs node and the
widget's npm packages (`cd widget && npm ci`)."""

import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BUDGET = 15_000  # 15 KB, read strictly (decimal) so it holds under either reading
HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "handoff.js"
STALE = "widget/handoff.js is stale: run `cd widget && npm run build`"
# decompresses argv[1] with node's brotli (Python has no brotli module here)
UNBROTLI = "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(process.argv[1])))"


def problems_with_build() -> list[str]:
    """What differs between the committed files and a fresh build (empty when they match)."""
    node = shutil.which("node")
    if node is None:
        return ["node is needed to check that widget/handoff.js is up to date (install Node.js 20+)"]
    if not (HERE / "node_modules" / "esbuild").is_dir():
        return ["the widget's build tools are missing: run `cd widget && npm ci`"]
    with tempfile.TemporaryDirectory() as out:
        build = subprocess.run(  # noqa: S603 - fixed arguments: node and our own build script
            [node, "build.mjs", "--out", out], cwd=HERE, capture_output=True, text=True, check=False
        )
        if build.returncode != 0:
            return [f"the widget build failed:\n{build.stdout}{build.stderr}"]
        fresh = (Path(out) / SCRIPT.name).read_bytes()
    raw = SCRIPT.read_bytes()
    if raw != fresh:
        return [STALE]
    problems = []
    # the compressed siblings are compared by content: compressors may differ by a few bytes between machines
    gz, br = SCRIPT.with_name(SCRIPT.name + ".gz"), SCRIPT.with_name(SCRIPT.name + ".br")
    if not gz.exists() or gzip.decompress(gz.read_bytes()) != raw:
        problems.append(f"{STALE} ({gz.name} does not match)")
    unbrotli = subprocess.run([node, "-e", UNBROTLI, str(br)], capture_output=True, check=False)  # noqa: S603
    if not br.exists() or unbrotli.returncode != 0 or unbrotli.stdout != raw:
        problems.append(f"{STALE} ({br.name} does not match)")
    return problems


def main() -> int:
    if not SCRIPT.exists():
        print(f"{SCRIPT.name} is missing: run `cd widget && npm ci && npm run build`", file=sys.stderr)
        return 1
    raw = SCRIPT.read_bytes()
    gz, br = SCRIPT.with_name(SCRIPT.name + ".gz"), SCRIPT.with_name(SCRIPT.name + ".br")
    zipped = gz.stat().st_size if gz.exists() else len(gzip.compress(raw, compresslevel=9))
    brotli = f", {br.stat().st_size} bytes brotli" if br.exists() else ""
    print(f"{SCRIPT.name}: {len(raw)} bytes raw, {zipped} bytes gzipped{brotli} (budget {BUDGET} gzipped)")
    failed = False
    if zipped > BUDGET:
        print(f"over budget by {zipped - BUDGET} bytes", file=sys.stderr)
        failed = True
    for problem in problems_with_build():
        print(problem, file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
