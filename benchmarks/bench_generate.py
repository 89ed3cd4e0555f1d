"""Time qdbusgen's code generation for QEMU's dbus-display1.xml against gdbus-codegen.

    python3 benchmarks/bench_generate.py [--repeat N] [--quick] [XML]

Rows (each the median over the repetitions, after one warm-up run of each; the
three are interleaved in a rotating order, so drift affects them alike):

* ``gdbus-codegen``: ``/usr/bin/gdbus-codegen --generate-c-code OUT
  --interface-prefix org.qemu. FILE`` as a subprocess, wall time.  It is the
  baseline of every ratio.  gdbus-codegen does not know QEMU's ``<?if?>``
  processing instructions (it would keep both branches), so it gets a
  preprocessed copy: the same file with the branches that HOST_OS=linux
  leaves out removed, and the instructions themselves dropped.  Which
  children survive is decided by qdbusgen's own evaluator
  (``qdbusgen.parser.active_children``); a check before timing makes sure that
  qdbusgen generates byte-identical output from the copy and from the original.
* ``qdbusgen CLI``: ``python3 -m qdbusgen generate FILE --define HOST_OS=linux
  -o OUT`` on the original file, as a subprocess, wall time end to end
  (interpreter start, imports, parse, lint, render, black, atomic write).
* ``qdbusgen render_files``: the in-process API (``qdbusgen.generate.render_files``,
  same file and define) in this process after a warm-up call (imports done),
  nothing written.
* ``python3 -c pass``: interpreter start alone, for reading the CLI row.

qdbusgen caches black's output, the runtime's reserved names and compiled templates on disk
(``qdbusgen/resources.py``), so both qdbusgen
rows come twice: ``no cache`` (``QDBUSGEN_NO_CACHE=1``: a first generation, or
any input that changed) and ``cache hit`` (``QDBUSGEN_CACHE_DIR`` pointing to a
temporary cache that the warm-up filled: regenerating an unchanged input).  The
benchmark never touches the user's own cache.  gdbus-codegen has no such cache,
so the ``no cache`` rows are the like-for-like comparison.

Both CLIs are Python programs (gdbus-codegen runs on the system /usr/bin/python3).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdbusgen import format as qdbusgen_format  # noqa: E402
from qdbusgen.generate import render_files  # noqa: E402
from qdbusgen.parser import active_children  # noqa: E402

DEFAULT_XML = ROOT.parent / "shared" / "upstream" / "qemu" / "ui" / "dbus-display1.xml"
DEFINES = {"HOST_OS": "linux"}
GDBUS_CODEGEN = "/usr/bin/gdbus-codegen"


def preprocess(source: Path, target: Path) -> tuple[int, int]:
    """Write ``source`` without the children that DEFINES leave out and without the
    conditional processing instructions; returns (instructions, elements) removed."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=False, remove_pis=False
    )
    tree = etree.parse(str(source), parser)
    removed_pis = removed_elements = 0

    def prune(parent: etree._Element) -> None:
        nonlocal removed_pis, removed_elements
        active = list(active_children(parent, DEFINES))  # holds the proxies, so id() stays unique
        keep = {id(c) for c in active}
        for child in list(parent):
            if id(child) in keep:
                if isinstance(child.tag, str):
                    prune(child)
                continue
            if isinstance(child, etree._ProcessingInstruction):
                removed_pis += 1
            elif isinstance(child.tag, str):
                removed_elements += 1
            parent.remove(child)  # with its tail, which is only indentation here

    prune(tree.getroot())
    tree.write(str(target), xml_declaration=True, encoding="utf-8")
    return removed_pis, removed_elements


def check_equivalent(original: Path, copy: Path) -> int:
    """qdbusgen must generate the same package from both inputs; returns the file count."""
    a = render_files([original], package="qemu_display", defines=DEFINES)
    b = render_files([copy], package="qemu_display", defines=DEFINES)
    if not a.ok or not b.ok:
        raise SystemExit(
            "qdbusgen refused one of the inputs: "
            + "; ".join(
                d.format() for d in (*a.diagnostics, *b.diagnostics) if d.severity.name == "ERROR"
            )
        )
    if dict(a.files) != dict(b.files):
        differ = sorted(k for k in set(a.files) | set(b.files) if a.files.get(k) != b.files.get(k))
        raise SystemExit(
            f"the preprocessed copy does not generate the same package (differs: {', '.join(differ)})"
        )
    return len(a.files)


def cache_env(cache: Path | None) -> dict[str, str]:
    """The environment with qdbusgen's black cache off (None) or in ``cache``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QDBUSGEN_")}
    if cache is None:
        env["QDBUSGEN_NO_CACHE"] = "1"
    else:
        env["QDBUSGEN_CACHE_DIR"] = str(cache)
    return env


@contextmanager
def cache_setting(cache: Path | None) -> Iterator[None]:
    """In this process: qdbusgen's black cache off (None) or in ``cache`` (read per call)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(cache_env(cache))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_subprocess(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    gc.collect()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}"
        )
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("xml", nargs="?", type=Path, default=DEFAULT_XML)
    ap.add_argument(
        "--repeat",
        type=int,
        help="repetitions (default 9, or 3 with --quick); the median is reported",
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 repetitions")
    args = ap.parse_args()
    repeat = args.repeat or (3 if args.quick else 9)
    if not (os.access(GDBUS_CODEGEN, os.X_OK) or shutil.which("gdbus-codegen")):
        print(
            "gdbus-codegen is not installed; it comes with Debian's libglib2.0-dev-bin:\n"
            "    apt-get install libglib2.0-dev-bin",
            file=sys.stderr,
        )
        return 2
    gdbus = (
        GDBUS_CODEGEN if os.access(GDBUS_CODEGEN, os.X_OK) else str(shutil.which("gdbus-codegen"))
    )
    source = args.xml.resolve()
    if not source.is_file():
        print(f"no such file: {source}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="qdbusgen-bench-gen-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "pre").mkdir()
        pre = tmp / "pre" / source.name  # same basename: same "generated from" header
        removed_pis, removed_elements = preprocess(source, pre)
        with cache_setting(None):  # the check must not fill a cache
            files = check_equivalent(source, pre)
        counter = iter(range(1_000_000))
        cache = tmp / "black-cache"
        has_cache = hasattr(qdbusgen_format, "_cache_path")

        def gdbus_run() -> float:
            out = tmp / f"g{next(counter)}"
            out.mkdir()
            return run_subprocess(
                [
                    gdbus,
                    "--generate-c-code",
                    "dbus-display1",
                    "--interface-prefix",
                    "org.qemu.",
                    str(pre),
                ],
                out,
            )

        def cli_run(cache_dir: Path | None) -> Callable[[], float]:
            def run() -> float:
                out = tmp / f"q{next(counter)}" / "qemu_display"
                out.parent.mkdir()
                argv = [
                    sys.executable,
                    "-m",
                    "qdbusgen",
                    "generate",
                    str(source),
                    "--define",
                    "HOST_OS=linux",
                    "-o",
                    str(out),
                ]
                return run_subprocess(argv, ROOT, cache_env(cache_dir))

            return run

        def api_run(cache_dir: Path | None) -> Callable[[], float]:
            def run() -> float:
                with cache_setting(cache_dir):
                    gc.collect()
                    start = time.perf_counter()
                    result = render_files([source], package="qemu_display", defines=DEFINES)
                    elapsed = time.perf_counter() - start
                assert result.ok
                return elapsed

            return run

        def python_run() -> float:
            return run_subprocess([sys.executable, "-c", "pass"], tmp)

        variants: dict[str, Callable[[], float]] = {
            "gdbus-codegen": gdbus_run,
            "qdbusgen CLI, no cache": cli_run(None),
            "render_files, no cache": api_run(None),
        }
        if has_cache:
            variants["qdbusgen CLI, cache hit"] = cli_run(cache)
            variants["render_files, cache hit"] = api_run(cache)
        variants["python3 -c pass"] = python_run
        times: dict[str, list[float]] = {name: [] for name in variants}
        for fn in variants.values():  # warm-up (file cache, in-process imports and templates)
            fn()
        names = list(variants)
        for r in range(repeat):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                times[name].append(variants[name]())
        gdbus_outputs = sorted(p.name for p in (tmp / "g0").iterdir())
        c_lines = sum(len(p.read_text().splitlines()) for p in (tmp / "g0").iterdir())
        package = tmp / "q1" / "qemu_display"
        py_lines = sum(len(p.read_text().splitlines()) for p in package.glob("*.py"))
        runtime_lines = len((package / "_runtime.py").read_text().splitlines())

    base = statistics.median(times["gdbus-codegen"])
    print(f"input: {source} ({source.stat().st_size / 1024:.0f} KiB); {repeat} repetitions, median")
    print(
        f"  qdbusgen gets the original with --define HOST_OS=linux -> {files} files, {py_lines} lines of Python"
        f" ({runtime_lines} of them the copied _runtime.py)"
    )
    print(
        f"  gdbus-codegen gets a preprocessed copy ({removed_pis} <?if?>/<?else?>/<?endif?> instructions and "
        f"{removed_elements} subtrees inactive for HOST_OS=linux removed; qdbusgen output from it is identical)"
        f" -> {', '.join(gdbus_outputs)}, {c_lines} lines of C"
    )
    if not has_cache:
        print("  (this qdbusgen has no black cache: no 'cache hit' rows)")
    print()
    print(f"{'':<24}{'median ms':>10}{'min':>9}{'max':>9}{'vs gdbus-codegen':>18}")
    for name in names:
        t = times[name]
        med = statistics.median(t)
        print(
            f"{name:<24}{med * 1000:10.0f}{min(t) * 1000:9.0f}{max(t) * 1000:9.0f}{med / base:17.2f}x"
        )
    gdbus_version = (
        subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libglib2.0-dev-bin"],
            capture_output=True,
            text=True,
        ).stdout
        or "unknown"
    )
    print()
    print(
        f"(Python {sys.version.split()[0]}; gdbus-codegen from libglib2.0-dev-bin {gdbus_version}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
