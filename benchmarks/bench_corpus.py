"""Time qdbusgen's parse + validate of the whole shared corpus against plain lxml parsing.

    python3 benchmarks/bench_corpus.py [--repeat N] [CORPUS_DIR ...]

Each repetition processes every file once; the figure is the median over the
repetitions (after one warm-up pass). The baseline, in the same run, is a plain
``lxml.etree.parse`` of the same files, so the ratio says what the hardened parser,
the position scan, the model, the docs and group A validation cost on top of libxml2.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdbusgen.diagnostics import InputError  # noqa: E402
from qdbusgen.parser import parse_file  # noqa: E402
from qdbusgen.validate import validate  # noqa: E402

SHARED = ROOT.parent / "shared"
DEFAULT_DIRS = [SHARED / "corpus", SHARED / "upstream" / "qemu"]


def qdbusgen_one(path: Path) -> int:
    try:
        result = parse_file(path)
    except InputError:
        return 1
    return len(result.diagnostics) + len(validate(result.document, result.diagnostics))


def lxml_one(path: Path) -> int:
    try:
        etree.parse(str(path))
    except etree.XMLSyntaxError:
        return 1
    return 0


def time_pass(files: list[Path], fn: Callable[[Path], int]) -> float:
    gc.collect()
    start = time.perf_counter()
    for f in files:
        fn(f)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    ap.add_argument(
        "--repeat", type=int, default=9, help="repetitions (default 9); the median is reported"
    )
    args = ap.parse_args()
    files = sorted(f for d in args.dirs if d.is_dir() for f in d.rglob("*.xml"))
    if not files:
        print(f"no *.xml files under {', '.join(map(str, args.dirs))}", file=sys.stderr)
        return 2
    size = sum(f.stat().st_size for f in files)
    # warm-up (file cache, imports, regex compilation)
    time_pass(files, qdbusgen_one)
    time_pass(files, lxml_one)
    ours: list[float] = []
    base: list[float] = []
    for _ in range(args.repeat):  # interleaved, so drift affects both alike
        ours.append(time_pass(files, qdbusgen_one))
        base.append(time_pass(files, lxml_one))
    ours_med, base_med = statistics.median(ours), statistics.median(base)
    print(f"corpus: {len(files)} files, {size / 1024:.0f} KiB; {args.repeat} repetitions, median")
    print(
        f"qdbusgen parse + validate: {ours_med * 1000:8.1f} ms  ({ours_med / len(files) * 1e6:7.0f} us/file, {size / 1024 / 1024 / ours_med:5.1f} MiB/s)"
    )
    print(
        f"plain lxml.etree.parse:    {base_med * 1000:8.1f} ms  ({base_med / len(files) * 1e6:7.0f} us/file, {size / 1024 / 1024 / base_med:5.1f} MiB/s)"
    )
    print(f"ratio: {ours_med / base_med:.1f}x")
    print(
        f"(min/max qdbusgen {min(ours) * 1000:.1f}/{max(ours) * 1000:.1f} ms, lxml {min(base) * 1000:.1f}/{max(base) * 1000:.1f} ms; Python {sys.version.split()[0]}, lxml {etree.__version__})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
