"""Throwaway system users for tests that run processes under their own UIDs (CI runs as root)."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest


@dataclass
class User:
    name: str
    uid: int
    gid: int


@pytest.fixture
def make_user() -> Iterator[Callable[[str], User]]:
    """``make_user(role)`` creates a system user (``useradd --system``); all are removed afterwards."""
    if os.geteuid() != 0:
        pytest.fail("this test creates users and switches UIDs: run it as root (CI does)")
    for tool in ("useradd", "userdel", "setpriv"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: .ci/run must install passwd and util-linux")
    created: list[str] = []

    def make(role: str) -> User:
        name = f"qdbusgen-{role}-{secrets.token_hex(3)}"
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--user-group",
                "--shell",
                "/usr/sbin/nologin",
                "--home-dir",
                "/nonexistent",
                name,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        created.append(name)
        entry = pwd.getpwnam(name)
        return User(name, entry.pw_uid, entry.pw_gid)

    yield make
    for name in created:
        for _ in range(50):
            done = subprocess.run(["userdel", name], capture_output=True, text=True)
            if done.returncode in (0, 6):  # 6: no such user
                break
            time.sleep(0.1)  # "user is currently used by process": a process still exiting
        else:
            raise AssertionError(f"could not remove test user {name}: {done.stderr}")
        subprocess.run(["groupdel", name], capture_output=True)


def as_user(user: User, command: list[str]) -> list[str]:
    """``command`` run under ``user``'s uid and gid (no new privileges)."""
    return [
        "setpriv",
        f"--reuid={user.uid}",
        f"--regid={user.gid}",
        "--init-groups",
        "--no-new-privs",
        "--",
        *command,
    ]
