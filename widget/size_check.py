"""Print the widget's raw and gzipped size; exit 1 when the gzipped size is over the 15 KB budget."""

import gzip
import sys
from pathlib import Path

BUDGET = 15_000  # 15 KB, read strictly (decimal) so it holds under either reading
SCRIPT = Path(__file__).with_name("handoff.js")


def main() -> int:
    raw = SCRIPT.read_bytes()
    zipped = len(gzip.compress(raw, compresslevel=9))
    print(f"{SCRIPT.name}: {len(raw)} bytes raw, {zipped} bytes gzipped (budget {BUDGET})")
    if zipped > BUDGET:
        print(f"over budget by {zipped - BUDGET} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
