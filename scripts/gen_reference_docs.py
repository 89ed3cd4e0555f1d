#!/usr/bin/env python3
"""Write the Markdown reference of interfaces/ (what `qdbusgen docs` prints) under docs/.

    python3 scripts/gen_reference_docs.py           # (re)write docs/interfaces*.md
    python3 scripts/gen_reference_docs.py --check   # exit 1 when a committed page is out of date

QEMU's XML has <?if $(env.HOST_OS) == windows?> branches, so there is one page per host:
docs/interfaces.md (Linux and other Unix hosts) and docs/interfaces-windows.md. Each is
exactly `qdbusgen docs interfaces/*.xml -D HOST_OS=... --title ...`; tests/test_docs_md.py
checks they are current.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdbusgen.api import load  # noqa: E402
from qdbusgen.docs_md import render_markdown  # noqa: E402
from qdbusgen.writer import write_file  # noqa: E402

PAGES = {
    "docs/interfaces.md": ("linux", "QEMU D-Bus interfaces (Linux and other Unix hosts)"),
    "docs/interfaces-windows.md": ("windows", "QEMU D-Bus interfaces (Windows hosts)"),
}


def render(host: str, title: str) -> str:
    inputs = sorted((ROOT / "interfaces").glob("*.xml"))
    loaded = load(inputs, defines={"HOST_OS": host})
    if loaded.errors:
        for d in loaded.diagnostics:
            print(d.format(), file=sys.stderr)
        raise SystemExit(2)
    return render_markdown(loaded.documents, title=title)


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = False
    for page, (host, title) in PAGES.items():
        text = render(host, title)
        path = ROOT / page
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                print(f"{page} is out of date: run python3 scripts/gen_reference_docs.py")
                stale = True
        elif write_file(path, text):
            print(f"wrote {page}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
