"""docs/qemu-helpers.md runs as written: its ``sh`` blocks, in order, in one bash.

The page is for a root shell in the root of a clone after ``./scripts/run`` (which makes
``.venv``). This test runs exactly the page's blocks there, with ``set -euo pipefail``,
``VM`` set to a fresh world-readable directory under /tmp and throwaway user names (so
that it can run beside a person's own walkthrough and beside other test runs), against
the real ``qemu-system-x86_64``, ``dbus-daemon`` and ``setpriv``. Then it checks that
the outputs the page quotes appeared, and that the page's last block removed what it
made. Whatever the page started is in the test's own process group, which is killed
afterwards in any case (a failed run leaves nothing running); the users are removed if
the page did not get to it.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from qemu_harness import require_qemu

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "qemu-helpers.md"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)

#: Quoted on the page and expected, verbatim, in what its commands print.
EXPECTED = (
    "1 file checked: 0 error(s), 0 warning(s), 0 info(s)",
    "15 files checked: 0 error(s), 0 warning(s), 0 info(s)",
    '"queued": false',
    '"unchecked": []',
    "vmstate_helper: a helper with Id 'helper1' is already queued for org.qemu.VMState1",
    "exit status 3",
    '"event": "snapshot"',
    '"completed"',
    "state of helper1",
    '"record_size": 32',
    '"running"',
    '"payload_text": "state of helper1"',
    "org.freedesktop.DBus.Error.AccessDenied: Rejected send message",
    'is not allowed to own the service "org.qemu.VMState1"',
    "Error connecting: ",
    '"keys": [[1]]',
    '"reason": "signal"',
)

pytestmark = pytest.mark.slow


def page_script() -> str:
    blocks = SH_BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 10, f"expected the walkthrough's sh blocks in {PAGE}, found {len(blocks)}"
    return "set -euo pipefail\n" + "\n".join(blocks)


def test_page_quotes_what_the_test_checks() -> None:
    """Every expected output is quoted on the page, so the test checks the page's own claims."""
    text = PAGE.read_text(encoding="utf-8")
    assert [e for e in EXPECTED if e not in text] == []
    assert "tests/" not in "".join(SH_BLOCK.findall(text)), "the page's commands use no test code"
    assert not re.search(
        r"/tmp/vm1\b", "".join(SH_BLOCK.findall(text)).replace("VM=${VM:-/tmp/vm1}", "")
    ), "the working directory is $VM, set once"


def test_readme_excerpt_is_taken_from_the_page() -> None:
    """The README's QEMU section quotes commands of the page, not a variant of its own."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## QEMU helpers") :]
    section = section[: section.index("\n## ", 1)]
    (excerpt,) = SH_BLOCK.findall(section)
    page_lines = set(page_script().splitlines())
    assert [line for line in excerpt.splitlines() if line not in page_lines] == []


def _remove_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


def test_walkthrough_runs_as_written() -> None:
    require_qemu()
    if os.geteuid() != 0:
        pytest.fail("the walkthrough creates users and switches UIDs: run it as root (CI does)")
    for tool in (
        "bash",
        "dbus-daemon",
        "setpriv",
        "useradd",
        "userdel",
        "gdbus",
        "/usr/bin/python3",
    ):
        assert shutil.which(tool), f"{tool} is missing: .ci/run installs .ci/apt-packages"
    activate = ROOT / ".venv" / "bin" / "activate"
    assert activate.is_file(), "the walkthrough starts after ./scripts/run, which creates .venv"

    tag = secrets.token_hex(3)
    helper_user, viewer_user = f"qdbusgen-wh-{tag}", f"qdbusgen-wv-{tag}"
    parent = Path(tempfile.mkdtemp(prefix="qdbusgen-walkthrough-", dir="/tmp"))
    parent.chmod(0o755)
    vm = parent / "vm1"
    log = parent / "output.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "VM")}
    env.update(VM=str(vm), HELPER_USER=helper_user, VIEWER_USER=viewer_user)
    try:
        with open(log, "wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", page_script()],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                status = process.wait(timeout=300)
            except subprocess.TimeoutExpired:
                status = None
            finally:
                try:  # everything the page started is in this session's process group
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        output = log.read_text(errors="replace")
        assert status == 0, f"the walkthrough exited with {status}; its output:\n{output}"
        missing = [e for e in EXPECTED if e not in output]
        assert missing == [], f"not printed: {missing}\n{output}"
        assert "Traceback" not in output, output
        assert output.count("\nrefused\n") == 3, output
        assert not vm.exists(), "step 9 removes $VM"
        for name in (helper_user, viewer_user):
            with pytest.raises(KeyError):
                pwd.getpwnam(name)  # step 9 removed the users
    finally:
        for name in (helper_user, viewer_user):
            _remove_user(name)
        shutil.rmtree(parent, ignore_errors=True)
