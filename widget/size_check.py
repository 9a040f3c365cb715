"""Check the built widget: print the raw, gzipped and brotli sizes of the script and of each lazily loaded part;
exit 1 when the gzipped script is over the 15 KB budget (a part over its own 4 KB), or when a committed file
(or its .gz/.br) is not what `npm run build` makes from src/.

The staleness check runs build.mjs into a temporary directory and compares, so it needs node and the
widget's npm packages (`cd widget && npm ci`)."""

import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BUDGET = 15_000  # 15 KB, read strictly (decimal) so it holds under either reading
PART_BUDGET = 4_000  # each lazily loaded part (fetched only when needed, so not in the script's budget)
HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "handoff.js"
PARTS = (HERE / "handoff-csat.js",)  # the entries build.mjs writes besides the script
STALE = "widget/{name} is stale: run `cd widget && npm run build`"
# decompresses argv[1] with node's brotli (Python has no brotli module here)
UNBROTLI = "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(process.argv[1])))"


def problems_with_build() -> list[str]:
    """What differs between the committed files and a fresh build (empty when they match)."""
    node = shutil.which("node")
    if node is None:
        return ["node is needed to check that widget/handoff.js is up to date (install Node.js 20+)"]
    if not (HERE / "node_modules" / "esbuild").is_dir():
        return ["the widget's build tools are missing: run `cd widget && npm ci`"]
    problems = []
    with tempfile.TemporaryDirectory() as out:
        build = subprocess.run(  # noqa: S603 - fixed arguments: node and our own build script
            [node, "build.mjs", "--out", out], cwd=HERE, capture_output=True, text=True, check=False
        )
        if build.returncode != 0:
            return [f"the widget build failed:\n{build.stdout}{build.stderr}"]
        for built in (SCRIPT, *PARTS):
            problems += stale(node, built, (Path(out) / built.name).read_bytes())
    return problems


def stale(node: str, built: Path, fresh: bytes) -> list[str]:
    message = STALE.format(name=built.name)
    if not built.exists() or built.read_bytes() != fresh:
        return [message]
    problems = []
    # the compressed siblings are compared by content: compressors may differ by a few bytes between machines
    gz, br = built.with_name(built.name + ".gz"), built.with_name(built.name + ".br")
    if not gz.exists() or gzip.decompress(gz.read_bytes()) != fresh:
        problems.append(f"{message} ({gz.name} does not match)")
    unbrotli = subprocess.run([node, "-e", UNBROTLI, str(br)], capture_output=True, check=False)  # noqa: S603
    if not br.exists() or unbrotli.returncode != 0 or unbrotli.stdout != fresh:
        problems.append(f"{message} ({br.name} does not match)")
    return problems


def report(built: Path, budget: int) -> bool:
    """Print the file's sizes; True when it is within its gzip budget."""
    raw = built.read_bytes()
    gz, br = built.with_name(built.name + ".gz"), built.with_name(built.name + ".br")
    zipped = gz.stat().st_size if gz.exists() else len(gzip.compress(raw, compresslevel=9))
    brotli = f", {br.stat().st_size} bytes brotli" if br.exists() else ""
    print(f"{built.name}: {len(raw)} bytes raw, {zipped} bytes gzipped{brotli} (budget {budget} gzipped)")
    if zipped > budget:
        print(f"{built.name} is over budget by {zipped - budget} bytes", file=sys.stderr)
        return False
    return True


def main() -> int:
    missing = [built.name for built in (SCRIPT, *PARTS) if not built.exists()]
    if missing:
        print(f"{', '.join(missing)} missing: run `cd widget && npm ci && npm run build`", file=sys.stderr)
        return 1
    failed = not report(SCRIPT, BUDGET)
    for part in PARTS:
        failed = not report(part, PART_BUDGET) or failed
    for problem in problems_with_build():
        print(problem, file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
