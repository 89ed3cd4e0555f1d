"""Time qdbusgen's code generation for QEMU's dbus-display1.xml against gdbus-codegen.

    python3 benchmarks/bench_generate.py [--repeat N] [--quick] [XML]

Every row is measured per run: wall time, CPU time (user + system of the child process,
from ``os.wait4``; for the in-process rows ``time.process_time``) and the child's peak
RSS. Each figure is the median over the repetitions, after one warm-up run of each; the
rows are interleaved in a rotating order, so drift affects them alike. The ratios against
gdbus-codegen are the medians of the per-round (paired) ratios, with their min and max.

* ``gdbus-codegen``: ``/usr/bin/gdbus-codegen --generate-c-code OUT
  --interface-prefix org.qemu. FILE`` as a subprocess.  It is the baseline of every
  ratio.  gdbus-codegen does not know QEMU's ``<?if?>`` processing instructions (it would
  keep both branches), so it gets a preprocessed copy: the same file with the branches
  that HOST_OS=linux leaves out removed, and the instructions themselves dropped.  Which
  children survive is decided by qdbusgen's own evaluator
  (``qdbusgen.parser.active_children``); a check before timing makes sure that qdbusgen
  generates byte-identical output from the copy and from the original.
* ``qdbusgen CLI``: ``python3 -m qdbusgen generate FILE --define HOST_OS=linux
  -o OUT`` on the original file, as a subprocess, end to end (interpreter start,
  imports, parse, lint, render, atomic write).
* ``qdbusgen render_files``: the in-process API (``qdbusgen.generate.render_files``,
  same file and define) in this process after a warm-up call (imports done),
  nothing written.
* ``python3 -c pass``: interpreter start alone, for reading the CLI row.

qdbusgen can cache black's output, the runtime's reserved names and compiled templates on
disk (``qdbusgen/resources.py``), so both qdbusgen rows come twice: ``no cache``
(``QDBUSGEN_NO_CACHE=1``: a first generation, or any input that changed) and ``cache hit``
(``QDBUSGEN_CACHE_DIR`` pointing to a temporary cache that the warm-up filled).  The
benchmark never touches the user's own cache.  gdbus-codegen has no such cache, so the
``no cache`` rows are the like-for-like comparison, and the issue's target.

Both CLIs are Python programs (gdbus-codegen runs on the system /usr/bin/python3 with the
bytecode Debian compiled at install time).  The children run with Python's bytecode cache
on (``PYTHONDONTWRITEBYTECODE`` is dropped from their environment), so qdbusgen, too, runs
from bytecode after the warm-up, as it does after ``pip install``.
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdbusgen import format as qdbusgen_format  # noqa: E402
from qdbusgen.config import GenerateOptions  # noqa: E402
from qdbusgen.generate import render_files  # noqa: E402
from qdbusgen.parser import active_children  # noqa: E402

DEFAULT_XML = ROOT.parent / "shared" / "upstream" / "qemu" / "ui" / "dbus-display1.xml"
DEFINES = {"HOST_OS": "linux"}
OPTIONS = GenerateOptions(package="qemu_display", defines=tuple(DEFINES.items()))
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
    a = render_files([original], OPTIONS)
    b = render_files([copy], OPTIONS)
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


def child_env() -> dict[str, str]:
    """This environment without qdbusgen's settings and with Python's bytecode cache on."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QDBUSGEN_") and k != "PYTHONDONTWRITEBYTECODE"
    }


def cache_env(cache: Path | None) -> dict[str, str]:
    """The environment with qdbusgen's black cache off (None) or in ``cache``."""
    env = child_env()
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


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + system
    rss: float  # MiB, peak resident set (0 when not measured)


#: GNU time: it reports its child's peak RSS exactly. The peak RSS wait4 gives for a child
#: of this process is useless: Linux counts the parent's pages it ran with before exec.
GNU_TIME = "/usr/bin/time"


def run_subprocess(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run ``argv``; its wall time, CPU time (``os.wait4``, its whole process tree) and peak
    RSS (GNU time's ``%M``; 0 when /usr/bin/time is missing)."""
    gc.collect()
    with tempfile.NamedTemporaryFile(prefix="qdbusgen-bench-rss-") as rss_file:
        wrapped = list(argv)
        if os.access(GNU_TIME, os.X_OK):
            wrapped = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *wrapped]
        start = time.perf_counter()
        proc = subprocess.Popen(
            wrapped, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert proc.stderr is not None
        stderr = proc.stderr.read()  # (small: the diagnostics)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stderr.close()
        if proc.returncode != 0:
            raise SystemExit(
                f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr.decode(errors='replace')}"
            )
        text = Path(rss_file.name).read_text().split()
        rss = int(text[-1]) / 1024 if text and text[-1].isdigit() else 0.0
    return Sample(elapsed, usage.ru_utime + usage.ru_stime, rss)


def in_process(fn: Callable[[], object]) -> Sample:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return Sample(time.perf_counter() - start, time.process_time() - cpu, 0.0)


def paired(samples: dict[str, list[Sample]], name: str, base: str, attr: str) -> str:
    """The median of the per-round ratios name/base of ``attr``, with min and max."""
    ratios = [
        getattr(a, attr) / getattr(b, attr)
        for a, b in zip(samples[name], samples[base])
        if getattr(b, attr) and getattr(a, attr)
    ]
    if not ratios:
        return "—"
    return f"{statistics.median(ratios):.2f}x [{min(ratios):.2f}–{max(ratios):.2f}]"


def interleave(variants: dict[str, Callable[[], Sample]], repeat: int) -> dict[str, list[Sample]]:
    """One warm-up run of each, then ``repeat`` rounds in a rotating order."""
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    for fn in variants.values():
        fn()
    names = list(variants)
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(variants[name]())
    return samples


def gdbus_codegen() -> str | None:
    if os.access(GDBUS_CODEGEN, os.X_OK):
        return GDBUS_CODEGEN
    return shutil.which("gdbus-codegen")


def gdbus_version() -> str:
    return (
        subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libglib2.0-dev-bin"],
            capture_output=True,
            text=True,
        ).stdout
        or "unknown"
    )


MISSING_GDBUS = (
    "gdbus-codegen is not installed; it comes with Debian's libglib2.0-dev-bin:\n"
    "    apt-get install libglib2.0-dev-bin"
)


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
    gdbus = gdbus_codegen()
    if gdbus is None:
        print(MISSING_GDBUS, file=sys.stderr)
        return 2
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

        def gdbus_run() -> Sample:
            out = tmp / f"g{next(counter)}"
            out.mkdir()
            argv = [gdbus, "--generate-c-code", "dbus-display1", "--interface-prefix", "org.qemu."]
            return run_subprocess([*argv, str(pre)], out, child_env())

        def cli_run(cache_dir: Path | None) -> Callable[[], Sample]:
            def run() -> Sample:
                out = tmp / f"q{next(counter)}" / "qemu_display"
                out.parent.mkdir()
                argv = [sys.executable, "-m", "qdbusgen", "generate", str(source)]
                argv += ["--define", "HOST_OS=linux", "-o", str(out)]
                return run_subprocess(argv, ROOT, cache_env(cache_dir))

            return run

        def api_run(cache_dir: Path | None) -> Callable[[], Sample]:
            def run() -> Sample:
                with cache_setting(cache_dir):
                    result = None

                    def call() -> None:
                        nonlocal result
                        result = render_files([source], OPTIONS)

                    sample = in_process(call)
                assert result is not None and result.ok
                return sample

            return run

        def python_run() -> Sample:
            return run_subprocess([sys.executable, "-c", "pass"], tmp, child_env())

        variants: dict[str, Callable[[], Sample]] = {
            "gdbus-codegen": gdbus_run,
            "qdbusgen CLI, no cache": cli_run(None),
            "render_files, no cache": api_run(None),
        }
        if has_cache:
            variants["qdbusgen CLI, cache hit"] = cli_run(cache)
            variants["render_files, cache hit"] = api_run(cache)
        variants["python3 -c pass"] = python_run
        samples = interleave(variants, repeat)
        gdbus_outputs = sorted(p.name for p in (tmp / "g0").iterdir())
        c_lines = sum(len(p.read_text().splitlines()) for p in (tmp / "g0").iterdir())
        package = tmp / "q1" / "qemu_display"
        py_lines = sum(len(p.read_text().splitlines()) for p in package.glob("*.py"))

    print(f"input: {source} ({source.stat().st_size / 1024:.0f} KiB); {repeat} repetitions, median")
    print(
        f"  qdbusgen gets the original with --define HOST_OS=linux -> {files} files, {py_lines} lines of Python"
        " (the runtime is imported, not copied)"
    )
    print(
        f"  gdbus-codegen gets a preprocessed copy ({removed_pis} <?if?>/<?else?>/<?endif?> instructions and "
        f"{removed_elements} subtrees inactive for HOST_OS=linux removed; qdbusgen output from it is identical)"
        f" -> {', '.join(gdbus_outputs)}, {c_lines} lines of C"
    )
    if not has_cache:
        print("  (this qdbusgen has no black cache: no 'cache hit' rows)")
    print()
    base = "gdbus-codegen"
    print(
        f"{'':<25}{'wall ms':>8}{'cpu ms':>8}{'peak MiB':>9}"
        f"{'cpu vs gdbus-codegen':>24}{'wall vs gdbus-codegen':>24}{'peak vs gdbus':>22}"
    )
    for name in variants:
        t = samples[name]
        wall = statistics.median(x.wall for x in t) * 1000
        cpu = statistics.median(x.cpu for x in t) * 1000
        rss = statistics.median(x.rss for x in t)
        print(
            f"{name:<25}{wall:8.0f}{cpu:8.0f}{(f'{rss:.1f}' if rss else '—'):>9}"
            f"{paired(samples, name, base, 'cpu'):>24}{paired(samples, name, base, 'wall'):>24}"
            f"{paired(samples, name, base, 'rss'):>22}"
        )
    print()
    print(
        f"(Python {sys.version.split()[0]}; gdbus-codegen from libglib2.0-dev-bin {gdbus_version()}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
