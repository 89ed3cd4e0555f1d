"""Every real-world file of the shared corpus (and the QEMU upstream files) loads.

Well-formed files become a model whose numbers of interfaces, methods, signals,
properties and args equal an independent count: the Python standard library's
ElementTree (expat, not lxml) over the file, after a small text-level evaluation of
QEMU's conditional processing instructions, walking only the un-namespaced D-Bus
content model. The broken files give exactly the diagnostics in BROKEN (each checked
by reading the file), and every other file gives no error at all.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from qdbusgen.api import load
from qdbusgen.diagnostics import Severity
from qdbusgen.model import Document

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
UPSTREAM_QEMU = SHARED / "upstream" / "qemu"


def corpus_files() -> list[Path]:
    files: list[Path] = []
    for base in (CORPUS, UPSTREAM_QEMU):
        if base.is_dir():
            files.extend(sorted(base.rglob("*.xml")))
    return files


def rel(path: Path) -> str:
    return path.relative_to(SHARED).as_posix()


FILES = corpus_files()
CONDITIONAL = re.compile(rb"<\?(?:if|ifdef|ifndef|elseif|else|endif)\b")
#: (file, host) pairs: files with conditional PIs are loaded for both hosts.
CASES = [
    (f, host)
    for f in FILES
    for host in (("linux", "windows") if CONDITIONAL.search(f.read_bytes()) else ("linux",))
]


def test_corpus_is_present() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent: the shared reference data is not beside this checkout")
    assert len([f for f in FILES if f.is_relative_to(CORPUS)]) == 292  # SOURCES.md: 292 files
    assert (UPSTREAM_QEMU / "ui" / "dbus-display1.xml") in FILES


# --------------------------------------------------------------------------- the broken files

#: Every diagnostic of severity error, plus DBUS-E001 (a root <interface> is accepted,
#: as a warning): (rule, line, column). Checked against the files by hand.
BROKEN: dict[str, list[tuple[str, int, int]]] = {
    # not well-formed: line 17 is <method name="RequestPhoneNumber"/> (self-closed) and
    # line 19 closes a </method> that is not open; libxml2 reports the end of that tag
    "corpus/libqofono-dev/ofono_handsfree.xml": [("XML-E001", 19, 12)],
    # {sv} outside an array (line 32: <arg name="config" type="{sv}" direction="out">)
    "corpus/libkf5runner5/kf5_org.kde.krunner1.xml": [("DBUS-E035", 32, 7)],
    # signal args with direction="in"
    "corpus/libflatpak-dev/org.freedesktop.Flatpak.Authenticator.xml": [
        ("DBUS-E021", 212, 7),
        ("DBUS-E021", 222, 7),
        ("DBUS-E021", 236, 7),
    ],
    "corpus/sysprof/org.gnome.Sysprof.Agent.xml": [("DBUS-E021", 31, 7)],
    # Qt overloads: the same method (or signal) name declared again
    "corpus/cvsservice/org.kde.cervisia5.cvsservice.xml": [
        ("DBUS-E014", 27, 5),  # checkout (first at 19)
        ("DBUS-E014", 37, 5),
        ("DBUS-E014", 83, 5),  # downloadRevision (first at 77)
        ("DBUS-E014", 99, 5),  # diff (first at 91)
        ("DBUS-E014", 149, 5),  # makePatch (first at 146)
    ],
    "corpus/kalarm/org.kde.kalarm.kalarm.xml": [
        ("DBUS-E014", 30, 5),  # scheduleMessage (first at 15)
        ("DBUS-E014", 45, 5),
        ("DBUS-E014", 73, 5),  # scheduleFile (first at 60)
        ("DBUS-E014", 86, 5),
        ("DBUS-E014", 109, 5),  # scheduleCommand (first at 99)
        ("DBUS-E014", 119, 5),
        ("DBUS-E014", 143, 5),  # scheduleEmail (first at 129)
        ("DBUS-E014", 157, 5),
        ("DBUS-E014", 182, 5),  # scheduleAudio (first at 171)
        ("DBUS-E014", 193, 5),
        ("DBUS-E014", 212, 5),  # editNew (first at 208)
    ],
    "corpus/kinit-dev/kf5_org.kde.KLauncher.xml": [("DBUS-E014", 8, 5)],  # exec_blind
    "corpus/knotes/org.kde.kontact.KNotes.xml": [("DBUS-E014", 20, 5)],  # killNote
    "corpus/libkf5akonadiserver-dev/org.freedesktop.Akonadi.AgentManager.xml": [
        ("DBUS-E014", 130, 5)
    ],
    "corpus/libkf5akonadiserver-dev/org.freedesktop.Akonadi.Resource.xml": [("DBUS-E014", 28, 5)],
    "corpus/libkf5kio-dev/kf5_org.kde.KCookieServer.xml": [
        ("DBUS-E014", 16, 5),
        ("DBUS-E014", 29, 5),
    ],
    "corpus/libkf5kio-dev/kf5_org.kde.KPasswdServer.xml": [("DBUS-E014", 50, 5)],  # addAuthInfo
    "corpus/libkf5libkdepim-dev/org.kde.mailtransport.service.xml": [
        ("DBUS-E014", 15, 5)
    ],  # sendMessage
    "corpus/libkf5wallet-dev/kf5_org.kde.KWallet.xml": [
        ("DBUS-E015", 23, 5),  # signal walletClosed (first at 19)
        ("DBUS-E014", 77, 5),  # close (first at 72)
        ("DBUS-E014", 96, 5),  # isOpen (first at 92)
        ("DBUS-E014", 227, 5),  # writeEntry (first at 218)
    ],
    # root <interface> (accepted, warning)
    "corpus/gnome-shell-extension-appindicator/DBusMenu.xml": [("DBUS-E001", 1, 1)],
    "corpus/gnome-shell-extension-appindicator/StatusNotifierItem.xml": [
        ("DBUS-E001", 5, 1)
    ],  # after a comment
    "corpus/gnome-shell-extension-appindicator/StatusNotifierWatcher.xml": [("DBUS-E001", 1, 1)],
    # plain <doc> elements (reported, their text still used); indented with tabs
    "corpus/biometric-auth/org.ukui.Biometric.xml": [
        ("DBUS-E002", line, col)
        for line, col in [
            (7, 4),
            (20, 4),
            (25, 5),
            (47, 4),
            (52, 5),
            (74, 4),
            (83, 5),
            (91, 4),
            (110, 4),
            (120, 4),
            (130, 4),
            (140, 4),
            (151, 4),
            (161, 4),
            (173, 4),
            (182, 4),
            (194, 4),
            (205, 4),
            (216, 4),
            (225, 4),
            (229, 5),
            (232, 5),
            (237, 4),
            (241, 5),
            (244, 5),
            (247, 5),
        ]
    ],
}
#: oFono's files all have <node name=""> on line 3: an empty name is present and is not
#: an absolute object path (catalog DBUS-E004/E005: an empty string is judged, not absent).
OFONO_EMPTY_ROOT_NAME = [
    "assisted_satellite_navigation", "audio_settings", "call_barring", "call_forwarding",
    "call_settings", "callmeter", "callvolume", "cell_broadcast", "connection_context",
    "connection_manager", "handsfree_audio_agent", "handsfree_audio_card",
    "handsfree_audio_manager", "manager", "message", "message_manager", "messagewaiting",
    "modem", "mtk_settings", "network_operator", "network_registration", "phonebook",
    "push_notification", "radio_settings", "simmanager", "smart_messaging",
    "smart_messaging_agent", "supplementary_services", "text_telephony", "voice_call",
    "voicecallmanager",
]  # fmt: skip
for _name in OFONO_EMPTY_ROOT_NAME:
    BROKEN[f"corpus/libqofono-dev/ofono_{_name}.xml"] = [("DBUS-E005", 3, 1)]


def problems(path: Path, host: str) -> tuple[list[tuple[str, int, int]], list[Document], bool]:
    result = load([path], defines={"HOST_OS": host})
    found = [
        (d.rule, d.location.line, d.location.column)
        for d in result.diagnostics
        if d.location is not None and (d.severity is Severity.ERROR or d.rule == "DBUS-E001")
    ]
    for d in result.diagnostics:
        assert d.location is not None and d.location.file == str(path)
        assert "\n" not in d.format()
    return found, list(result.documents), result.unusable


def test_broken_table_names_existing_files() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent: the shared reference data is not beside this checkout")
    names = {rel(f) for f in FILES}
    assert set(BROKEN) <= names
    assert len(BROKEN) == 18 + 31


@pytest.mark.parametrize("path, host", CASES, ids=lambda v: rel(v) if isinstance(v, Path) else v)
def test_file_gives_exactly_its_known_diagnostics(path: Path, host: str) -> None:
    found, documents, unusable = problems(path, host)
    expected = BROKEN.get(rel(path), [])
    assert sorted(found, key=lambda t: (t[1], t[2], t[0])) == sorted(
        expected, key=lambda t: (t[1], t[2], t[0])
    )
    refused = any(rule.startswith("XML-") for rule, _, _ in expected)
    assert unusable is refused
    assert len(documents) == (0 if refused else 1)


# --------------------------------------------------------------------------- independent counts


@dataclass(frozen=True)
class Counts:
    interfaces: int = 0
    methods: int = 0
    signals: int = 0
    properties: int = 0
    args: int = 0


def model_counts(document: Document) -> Counts:
    ifaces = document.interfaces
    return Counts(
        interfaces=len(ifaces),
        methods=sum(len(i.methods) for i in ifaces),
        signals=sum(len(i.signals) for i in ifaces),
        properties=sum(len(i.properties) for i in ifaces),
        args=sum(len(m.args) for i in ifaces for m in (*i.methods, *i.signals)),
    )


_PI = re.compile(r"<\?(if|else|endif)\b\s*(.*?)\s*\?>", re.S)
_COND = re.compile(r"\$\(env\.(\w+)\)\s*(==|!=)\s*(\S+)")


def strip_conditionals(text: str, defines: dict[str, str]) -> str:
    """Text of the file with inactive <?if?>/<?else?>/<?endif?> regions cut out (the
    only conditional forms in the corpus), evaluated on the raw text."""
    out: list[str] = []
    stack: list[tuple[bool, bool]] = []  # (enclosing active, this branch active)
    pos = 0
    for m in _PI.finditer(text):
        active = all(branch for _, branch in stack)
        if active:
            out.append(text[pos : m.start()])
        kind, cond = m.group(1), m.group(2)
        if kind == "if":
            c = _COND.fullmatch(cond)
            assert c is not None, cond
            value = defines[c.group(1)] == c.group(3)
            stack.append((active, value if c.group(2) == "==" else not value))
        elif kind == "else":
            outer, branch = stack.pop()
            stack.append((outer, not branch))
        else:
            stack.pop()
        pos = m.end()
    assert not stack
    out.append(text[pos:])
    return "".join(out)


def independent_counts(path: Path, host: str) -> Counts | None:
    """None when expat finds the file not well-formed."""
    text = strip_conditionals(path.read_text(encoding="utf-8"), {"HOST_OS": host})
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    counts = Counter[str]()

    def interface(el: ET.Element) -> None:
        if el.get("name") is None:
            return
        counts["interfaces"] += 1
        for child in el:  # namespaced children have '{uri}name' tags and never match
            if child.tag in ("method", "signal", "property") and child.get("name") is not None:
                counts[child.tag + "s" if child.tag != "property" else "properties"] += 1
                if child.tag != "property":
                    counts["args"] += sum(1 for a in child if a.tag == "arg")

    def node(el: ET.Element) -> None:
        for child in el:
            if child.tag == "interface":
                interface(child)
            elif child.tag == "node":
                node(child)

    if root.tag == "node":
        node(root)
    elif root.tag == "interface":
        interface(root)
    return Counts(**counts)


@pytest.mark.parametrize("path, host", CASES, ids=lambda v: rel(v) if isinstance(v, Path) else v)
def test_model_counts_match_an_independent_count(path: Path, host: str) -> None:
    expected = independent_counts(path, host)
    _, documents, unusable = problems(path, host)
    if expected is None:
        # expat and lxml agree that it is not well-formed
        assert unusable and not documents
        return
    assert not unusable, rel(path)
    (document,) = documents
    assert model_counts(document) == expected
    assert expected.interfaces >= 1


def test_counts_see_the_conditionals() -> None:
    path = UPSTREAM_QEMU / "ui" / "dbus-display1.xml"
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data is not beside this checkout")
    linux, windows = independent_counts(path, "linux"), independent_counts(path, "windows")
    assert linux is not None and windows is not None and linux != windows
    # a plain parser keeps both branches: more args than either host
    plain = ET.fromstring(path.read_text(encoding="utf-8"))
    all_args = sum(1 for _ in plain.iter("arg"))
    assert all_args > linux.args and all_args > windows.args
