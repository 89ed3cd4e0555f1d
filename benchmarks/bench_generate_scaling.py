"""The generation scaling curve: one interface of N documented methods, qdbusgen vs gdbus-codegen.

    python3 benchmarks/bench_generate_scaling.py [--repeat N] [--quick] [--sizes 10,100,...]

For each size (default 10, 100, 500, 1000, 2000, 5000 methods) the script writes one
interface ``com.example.Scale1`` whose methods each take three documented in args
(``s``, ``u``, ``a{sv}``) and answer one documented out arg (``t``), and runs both tools
on it as subprocesses, interleaved (the order alternates from one round to the next):

* ``gdbus-codegen --generate-c-code scale FILE`` (``/usr/bin/gdbus-codegen``);
* ``python3 -m qdbusgen generate FILE -o OUT`` with ``QDBUSGEN_NO_CACHE=1`` (cold).

Per size it prints the medians of wall time, CPU time (user + system, ``os.wait4``) and
peak RSS (GNU time's ``%M``) of each tool, the size of what each wrote, and the
qdbusgen/gdbus-codegen ratios (medians of the per-round ratios, min and max in
brackets). The issue's targets are read at 2000 methods: CPU ≤ 1.0× and peak RSS ≤ 2×.
Measuring and the children's environment are those of ``bench_generate.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generate import (  # noqa: E402
    MISSING_GDBUS,
    ROOT,
    Sample,
    cache_env,
    child_env,
    gdbus_codegen,
    gdbus_version,
    interleave,
    paired,
    run_subprocess,
)

DEFAULT_SIZES = (10, 100, 500, 1000, 2000, 5000)


def interface_xml(methods: int) -> str:
    out = [
        '<?xml version="1.0"?>',
        "<node>",
        '  <interface name="com.example.Scale1">',
        '    <annotation name="org.gtk.GDBus.DocString" value="A benchmark interface of many'
        ' documented methods."/>',
    ]
    for i in range(methods):
        out.append(
            f'    <method name="DoThing{i}">\n'
            f'      <annotation name="org.gtk.GDBus.DocString" value="Do thing number {i} with'
            ' the given name and flags, and answer the new serial of the object."/>\n'
            '      <arg name="name" type="s" direction="in"><annotation'
            ' name="org.gtk.GDBus.DocString" value="The name of the thing."/></arg>\n'
            '      <arg name="flags" type="u" direction="in"><annotation'
            ' name="org.gtk.GDBus.DocString" value="Flags that change how the thing is done."/></arg>\n'
            '      <arg name="options" type="a{sv}" direction="in"><annotation'
            ' name="org.gtk.GDBus.DocString" value="Extra options, by name."/></arg>\n'
            '      <arg name="serial" type="t" direction="out"><annotation'
            ' name="org.gtk.GDBus.DocString" value="The new serial."/></arg>\n'
            "    </method>"
        )
    out += ["  </interface>", "</node>", ""]
    return "\n".join(out)


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, help="rounds per size (default 3, 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 10, 100, 1000 methods")
    ap.add_argument("--sizes", help="comma-separated method counts")
    args = ap.parse_args()
    repeat = args.repeat or (1 if args.quick else 3)
    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else ((10, 100, 1000) if args.quick else DEFAULT_SIZES)
    )
    gdbus = gdbus_codegen()
    if gdbus is None:
        print(MISSING_GDBUS, file=sys.stderr)
        return 2
    print(f"one interface of N documented methods; {repeat} round(s) per size, median")
    print(
        f"{'methods':>8}{'gdbus s':>9}{'qdbusgen s':>11}{'cpu ratio':>22}"
        f"{'gdbus MiB':>10}{'qdbusgen MiB':>13}{'peak ratio':>22}{'C MB':>7}{'py MB':>7}"
    )
    with tempfile.TemporaryDirectory(prefix="qdbusgen-bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        for n in sizes:
            xml = tmp / f"com.example.Scale1.{n}.xml"
            xml.write_text(interface_xml(n), encoding="utf-8")
            counter = iter(range(1_000_000))
            outputs: dict[str, Path] = {}

            def gdbus_run() -> Sample:
                out = tmp / f"g{n}_{next(counter)}"
                out.mkdir()
                outputs["gdbus"] = out
                return run_subprocess(
                    [gdbus, "--generate-c-code", "scale", str(xml)], out, child_env()
                )

            def qdbusgen_run() -> Sample:
                out = tmp / f"q{n}_{next(counter)}" / "scale"
                outputs["qdbusgen"] = out
                argv = [sys.executable, "-m", "qdbusgen", "generate", str(xml), "-o", str(out)]
                return run_subprocess(argv, ROOT, cache_env(None))

            samples = interleave({"gdbus": gdbus_run, "qdbusgen": qdbusgen_run}, repeat)
            g = samples["gdbus"]
            q = samples["qdbusgen"]
            print(
                f"{n:>8}"
                f"{statistics.median(x.cpu for x in g):9.2f}{statistics.median(x.cpu for x in q):11.2f}"
                f"{paired(samples, 'qdbusgen', 'gdbus', 'cpu'):>22}"
                f"{statistics.median(x.rss for x in g):10.1f}{statistics.median(x.rss for x in q):13.1f}"
                f"{paired(samples, 'qdbusgen', 'gdbus', 'rss'):>22}"
                f"{tree_size(outputs['gdbus']) / 1e6:7.1f}{tree_size(outputs['qdbusgen']) / 1e6:7.1f}",
                flush=True,
            )
            for p in tmp.iterdir():  # keep the temporary directory small
                if p.is_dir():
                    shutil.rmtree(p)
    print("(the 'gdbus s' and 'qdbusgen s' columns are CPU seconds, user + system)")
    print(
        f"(Python {sys.version.split()[0]}; gdbus-codegen from libglib2.0-dev-bin {gdbus_version()}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
