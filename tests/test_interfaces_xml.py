"""Checks for the bundled QEMU interface files in ``interfaces/``.

These tests deliberately do not use qdbusgen's own parser. They read the XML
with lxml and evaluate QEMU's conditional processing instructions
(``<?if $(env.HOST_OS) == windows?>`` / ``<?else?>`` / ``<?endif?>``) with a
small evaluator written here, then check that:

* every interface is wire-identical to QEMU's upstream XML
  (``ui/dbus-display1.xml`` and ``backends/dbus-vmstate1.xml``) for each host
  OS, including annotations, and that the conditional sections enclose the
  same elements as upstream;
* every interface, member, property and argument is documented with a
  gtk-doc style comment that gdbus-codegen can read;
* no run of 8 or more words is copied from upstream's comments;
* everything that QEMU 7.2 returned at run time (``live/*.xml``) and that
  upstream still declares matches our files for HOST_OS=linux.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
INTERFACES_DIR = ROOT / "interfaces"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
UPSTREAM_QEMU = SHARED / "upstream" / "qemu"
UPSTREAM_FILES = (
    UPSTREAM_QEMU / "ui" / "dbus-display1.xml",
    UPSTREAM_QEMU / "backends" / "dbus-vmstate1.xml",
)
LIVE_DIR = UPSTREAM_QEMU / "live"

HOST_OSES = ("linux", "windows", "darwin")
NGRAM = 8

# The only processing-instruction texts QEMU's XML uses (and that we allow).
PI_IF = re.compile(r"^\$\(env\.(?P<var>[A-Za-z_]\w*)\) (?P<op>==|!=) (?P<value>[A-Za-z0-9_]+)$")

MEMBER_KINDS = ("method", "signal", "property")


def _our_files() -> list[Path]:
    return sorted(INTERFACES_DIR.glob("org.qemu.*.xml"))


def _parse(path: Path) -> etree._Element:
    parser = etree.XMLParser(
        remove_comments=False,
        remove_pis=False,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    return etree.parse(str(path), parser).getroot()


@pytest.fixture(scope="module")
def upstream_paths() -> tuple[Path, ...]:
    missing = [p for p in UPSTREAM_FILES if not p.is_file()]
    if missing:
        pytest.skip(
            f"reference data {', '.join(map(str, missing))} is absent: "
            f"the shared QEMU reference files are not beside this checkout ({SHARED})"
        )
    return UPSTREAM_FILES


# --------------------------------------------------------------------------
# Model with conditions
# --------------------------------------------------------------------------

# A condition is (variable, value, equal): equal=True means "$(env.var) == value".
Cond = tuple[str, str, bool]
Conds = tuple[Cond, ...]
Annotation = tuple[str, str, Conds]
# Wire view: interface name -> ordered list of member tuples.
WireView = dict[str, list[tuple[object, ...]]]


@dataclass(frozen=True)
class Arg:
    name: str | None
    type: str
    direction: str  # effective direction
    annotations: tuple[Annotation, ...]
    conds: Conds


@dataclass(frozen=True)
class Member:
    kind: str
    name: str
    args: tuple[Arg, ...]
    type: str | None  # property type
    access: str | None  # property access
    annotations: tuple[Annotation, ...]
    conds: Conds


@dataclass(frozen=True)
class Interface:
    name: str
    members: tuple[Member, ...]
    annotations: tuple[Annotation, ...]
    conds: Conds
    source: str


def _children_with_conds(
    parent: etree._Element, inherited: Conds, where: str
) -> Iterator[tuple[etree._Element, Conds]]:
    """Yield (child element, conditions) for the element children of ``parent``.

    Processing instructions are evaluated symbolically. Like QEMU's
    scripts/xml-preprocess.py (a regex over the text), conditionals may not nest,
    and each one must open and close under the same parent element.
    """
    local: list[Cond] = []
    in_else = False
    for child in parent:
        if isinstance(child, etree._ProcessingInstruction):
            target, text = child.target, (child.text or "").strip()
            if target == "if":
                m = PI_IF.match(text)
                assert m, f"{where}: unsupported <?if {text}?>"
                assert (
                    not inherited and not local
                ), f"{where}: nested <?if?> is not supported by QEMU"
                local.append((m["var"], m["value"], m["op"] == "=="))
                in_else = False
            elif target == "else":
                assert local and not in_else and not text, f"{where}: misplaced <?else?>"
                var, value, equal = local.pop()
                local.append((var, value, not equal))
                in_else = True
            elif target == "endif":
                assert local and not text, f"{where}: misplaced <?endif?>"
                local.pop()
                in_else = False
            else:
                raise AssertionError(
                    f"{where}: unexpected processing instruction <?{target} {text}?>"
                )
            continue
        if isinstance(child, etree._Comment) or not isinstance(child.tag, str):
            continue
        yield child, inherited + tuple(local)
    assert not local, f"{where}: <?if?> without <?endif?> inside <{parent.tag}>"


def _annotations(el: etree._Element, conds: Conds, where: str) -> tuple[Annotation, ...]:
    result = []
    for child, c in _children_with_conds(el, conds, where):
        if child.tag == "annotation":
            result.append((child.get("name"), child.get("value"), c))
    return tuple(sorted(result))


def _load_interfaces(path: Path) -> list[Interface]:
    root = _parse(path)
    assert root.tag == "node", f"{path}: root element is <{root.tag}>, not <node>"
    interfaces = []
    for iface_el, iface_conds in _children_with_conds(root, (), path.name):
        if iface_el.tag != "interface":
            # child <node> elements (live dumps), annotations and namespaced documentation
            assert (
                iface_el.tag in ("node", "annotation") or "}" in iface_el.tag
            ), f"{path}: unexpected <{iface_el.tag}>"
            continue
        iname = iface_el.get("name")
        members = []
        for mel, mconds in _children_with_conds(iface_el, iface_conds, f"{path.name}:{iname}"):
            if "}" in mel.tag or mel.tag == "annotation":
                continue  # namespaced documentation / interface annotations (handled below)
            assert mel.tag in MEMBER_KINDS, f"{path}: unexpected <{mel.tag}> in {iname}"
            where = f"{path.name}:{iname}.{mel.get('name')}"
            args = []
            if mel.tag != "property":
                for ael, aconds in _children_with_conds(mel, mconds, where):
                    if ael.tag != "arg":
                        assert (
                            ael.tag == "annotation" or "}" in ael.tag
                        ), f"{where}: unexpected <{ael.tag}>"
                        continue
                    default = "in" if mel.tag == "method" else "out"
                    args.append(
                        Arg(
                            name=ael.get("name"),
                            type=ael.get("type"),
                            direction=ael.get("direction", default),
                            annotations=_annotations(ael, aconds, where),
                            conds=aconds,
                        )
                    )
            members.append(
                Member(
                    kind=mel.tag,
                    name=mel.get("name"),
                    args=tuple(args),
                    type=mel.get("type"),
                    access=mel.get("access"),
                    annotations=_annotations(mel, mconds, where),
                    conds=mconds,
                )
            )
        interfaces.append(
            Interface(
                name=iname,
                members=tuple(members),
                annotations=_annotations(iface_el, iface_conds, f"{path.name}:{iname}"),
                conds=iface_conds,
                source=path.name,
            )
        )
    return interfaces


def _load_all(paths: list[Path] | tuple[Path, ...]) -> dict[str, Interface]:
    result: dict[str, Interface] = {}
    for path in paths:
        for iface in _load_interfaces(path):
            assert (
                iface.name not in result
            ), f"{iface.name} declared twice ({result[iface.name].source}, {path.name})"
            result[iface.name] = iface
    return result


# --------------------------------------------------------------------------
# Evaluation for one host OS
# --------------------------------------------------------------------------


def _holds(conds: Conds, env: dict[str, str]) -> bool:
    return all((env[var] == value) == equal for var, value, equal in conds)


def _wire_annotations(
    annotations: tuple[Annotation, ...], env: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((n, v) for n, v, c in annotations if _holds(c, env)))


def _evaluate(
    interfaces: dict[str, Interface], host_os: str, with_annotations: bool = True
) -> WireView:
    """The wire view for one host OS: per interface an ordered list of members."""
    env = {"HOST_OS": host_os}
    result: WireView = {}
    for iface in interfaces.values():
        if not _holds(iface.conds, env):
            continue
        members: list[tuple[object, ...]] = []
        if with_annotations:
            members.append(("interface-annotations", _wire_annotations(iface.annotations, env)))
        for m in iface.members:
            if not _holds(m.conds, env):
                continue
            args = tuple(
                (a.name, a.type, a.direction)
                + ((_wire_annotations(a.annotations, env),) if with_annotations else ())
                for a in m.args
                if _holds(a.conds, env)
            )
            entry: tuple[object, ...] = (m.kind, m.name, args, m.type, m.access)
            if with_annotations:
                entry += (_wire_annotations(m.annotations, env),)
            members.append(entry)
        result[iface.name] = members
    return result


def _conditional_view(
    interfaces: dict[str, Interface],
) -> dict[str, tuple[object, ...]]:
    """Structure including the conditions, to check that the PIs enclose the same elements."""
    return {
        name: (
            iface.conds,
            iface.annotations,
            tuple(
                (
                    m.kind,
                    m.name,
                    m.conds,
                    m.type,
                    m.access,
                    m.annotations,
                    tuple((a.name, a.type, a.direction, a.conds, a.annotations) for a in m.args),
                )
                for m in iface.members
            ),
        )
        for name, iface in interfaces.items()
    }


# --------------------------------------------------------------------------
# Wire identity
# --------------------------------------------------------------------------


def test_one_interface_per_file_named_after_it() -> None:
    files = _our_files()
    assert files, f"no org.qemu.*.xml files in {INTERFACES_DIR}"
    for path in files:
        root = _parse(path)
        assert root.tag == "node" and not root.attrib, f"{path.name}: root must be a plain <node>"
        assert not root.nsmap, f"{path.name}: unused namespace declarations {root.nsmap}"
        names = [el.get("name") for el in root.iter("interface")]
        assert names == [path.name[: -len(".xml")]], f"{path.name}: declares {names}"
        assert not list(root.iter("node"))[1:], f"{path.name}: child <node> elements"


def test_evaluator_sanity(upstream_paths: tuple[Path, ...]) -> None:
    """Guard against an evaluator bug that would make both sides equal trivially."""
    upstream = _load_all(upstream_paths)
    assert len(upstream) == 16
    linux = _evaluate(upstream, "linux")
    windows = _evaluate(upstream, "windows")
    assert len(linux) == 15 and "org.qemu.Display1.Listener.Win32.Map" not in linux
    assert len(windows) == 14 and "org.qemu.Display1.Listener.Unix.Map" not in windows
    # Upstream does not put Win32.D3d11 inside a conditional.
    assert "org.qemu.Display1.Listener.Win32.D3d11" in linux

    def register_listener(view: WireView) -> object:
        console = view["org.qemu.Display1.Console"]
        return next(m for m in console if m[1] == "RegisterListener")[2]

    assert register_listener(linux) == (("listener", "h", "in", ()),)
    assert register_listener(windows) == (
        ("listener", "ay", "in", (("org.gtk.GDBus.C.ForceGVariant", "true"),)),
    )
    listener_methods = {m[1] for m in linux["org.qemu.Display1.Listener"]}
    assert {"ScanoutDMABUF", "UpdateDMABUF"} <= listener_methods
    assert not {"ScanoutDMABUF", "UpdateDMABUF"} & {
        m[1] for m in windows["org.qemu.Display1.Listener"]
    }


def test_same_interface_set(upstream_paths: tuple[Path, ...]) -> None:
    ours = _load_all(_our_files())
    upstream = _load_all(upstream_paths)
    assert sorted(ours) == sorted(upstream)


@pytest.mark.parametrize("host_os", HOST_OSES)
def test_wire_identical_to_upstream(upstream_paths: tuple[Path, ...], host_os: str) -> None:
    ours = _evaluate(_load_all(_our_files()), host_os)
    upstream = _evaluate(_load_all(upstream_paths), host_os)
    assert sorted(ours) == sorted(upstream)
    for name in upstream:
        assert ours[name] == upstream[name], f"{name} differs from upstream for HOST_OS={host_os}"


def test_conditionals_enclose_the_same_elements(
    upstream_paths: tuple[Path, ...],
) -> None:
    ours = _conditional_view(_load_all(_our_files()))
    upstream = _conditional_view(_load_all(upstream_paths))
    assert sorted(ours) == sorted(upstream)
    for name in upstream:
        assert ours[name] == upstream[name], f"{name}: conditional structure differs from upstream"


def test_processing_instructions_use_upstream_spelling(
    upstream_paths: tuple[Path, ...],
) -> None:
    def pis(paths: list[Path] | tuple[Path, ...]) -> set[str]:
        found = set()
        for path in paths:
            for pi in _parse(path).iter(etree.ProcessingInstruction):
                found.add(f"<?{pi.target}{' ' + pi.text if pi.text else ''}?>")
        return found

    assert pis(_our_files()) <= pis(upstream_paths)


# --------------------------------------------------------------------------
# Live introspection of QEMU 7.2
# --------------------------------------------------------------------------


def test_matches_live_qemu_7_2(upstream_paths: tuple[Path, ...]) -> None:
    live_files = sorted(LIVE_DIR.glob("*.xml"))
    if not live_files:
        pytest.skip(f"no live introspection dumps in {LIVE_DIR}")
    upstream = _evaluate(_load_all(upstream_paths), "linux", with_annotations=False)
    ours = _evaluate(_load_all(_our_files()), "linux", with_annotations=False)
    checked = 0
    for path in live_files:
        for iface in _load_interfaces(path):
            if iface.name.startswith("org.freedesktop.") or iface.name not in upstream:
                continue
            live_members = _evaluate({iface.name: iface}, "linux", with_annotations=False)[
                iface.name
            ]
            upstream_keys = {(m[0], m[1]) for m in upstream[iface.name]}
            ours_by_key = {(m[0], m[1]): m for m in ours[iface.name]}
            for member in live_members:
                if (member[0], member[1]) not in upstream_keys:
                    continue
                assert (
                    ours_by_key.get((member[0], member[1])) == member
                ), f"{path.name}: {iface.name}.{member[1]} differs from what QEMU 7.2 returns"
                checked += 1
            # Members keep their relative order.
            live_order = [(m[0], m[1]) for m in live_members if (m[0], m[1]) in upstream_keys]
            our_order = [(m[0], m[1]) for m in ours[iface.name] if (m[0], m[1]) in set(live_order)]
            assert our_order == live_order, f"{path.name}: member order of {iface.name}"
    assert checked >= 20, f"only {checked} live members were compared"


# --------------------------------------------------------------------------
# Documentation
# --------------------------------------------------------------------------


def _doc_symbol(comment: str) -> str:
    """The symbol gdbus-codegen (codegen/parser.py handle_comment) takes from a comment."""
    for line in comment.split("\n"):
        line = line.lstrip()
        if not line:
            continue
        colon = line.find(": ")
        if colon == -1:
            return line[:-1] if line.endswith(":") else ""
        return line[:colon]
    return ""


def _parse_doc(comment: str) -> tuple[str, dict[str, str], list[str]]:
    """(symbol line, leading @param lines, body lines) of a gtk-doc comment."""
    lines = [line.strip() for line in comment.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    symbol = lines.pop(0) if lines else ""
    params: dict[str, str] = {}
    while lines and lines[0].startswith("@"):
        m = re.match(r"^@(\w+): (\S.*)$", lines.pop(0))
        assert m, f"malformed parameter line in {symbol}"
        params[m[1]] = m[2]
    body = [line for line in lines if line]
    return symbol, params, body


def _documented_elements() -> Iterator[tuple[Path, etree._Element, str]]:
    for path in _our_files():
        root = _parse(path)
        for el in root.iter("interface", "method", "signal", "property"):
            name = el.get("name")
            where = f"{path.name}: <{el.tag} name={name!r}>"
            yield path, el, where


def test_every_element_is_documented() -> None:
    count = 0
    for _path, el, where in _documented_elements():
        prev = el.getprevious()
        assert isinstance(prev, etree._Comment), f"{where} has no doc comment directly before it"
        symbol, params, body = _parse_doc(prev.text or "")
        assert symbol == f"{el.get('name')}:", f"{where}: doc comment starts with {symbol!r}"
        assert _doc_symbol(prev.text or "") == el.get(
            "name"
        ), f"{where}: gdbus-codegen would not match the comment"
        assert body, f"{where}: doc comment has no description"
        arg_names = (
            [a.get("name") for a in el.iter("arg")] if el.tag in ("method", "signal") else []
        )
        assert all(arg_names), f"{where}: unnamed argument"
        missing = [a for a in arg_names if a not in params]
        assert not missing, f"{where}: arguments without @name: line: {missing}"
        stale = sorted(set(params) - set(arg_names))
        assert not stale, f"{where}: @param lines for unknown arguments: {stale}"
        count += 1
    assert count > 80


def test_other_comments_do_not_confuse_gdbus_codegen() -> None:
    """A comment gdbus-codegen reads as a doc block must sit directly before its element."""
    for path in _our_files():
        for comment in _parse(path).iter(etree.Comment):
            symbol = _doc_symbol(comment.text or "")
            if not symbol:
                continue
            nxt = comment.getnext()
            assert (
                nxt is not None
                and not isinstance(nxt, etree._Comment)
                and nxt.get("name") == symbol
            ), f"{path.name}:{comment.sourceline}: comment for {symbol!r} is not directly before that element"


def test_text_hygiene() -> None:
    for path in _our_files():
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{path.name}: final newline"
        assert "\r" not in text, f"{path.name}: CR characters"
        for number, line in enumerate(text.split("\n"), 1):
            assert "\t" not in line, f"{path.name}:{number}: tab"
            assert line == line.rstrip(), f"{path.name}:{number}: trailing whitespace"
        for comment in _parse(path).iter(etree.Comment):
            # QEMU's scripts/xml-preprocess.py works on the raw text, comments included.
            assert (
                "$(" not in comment.text and "<?" not in comment.text
            ), f"{path.name}:{comment.sourceline}: comment would be rewritten by QEMU's preprocessor"


def _words(text: str) -> list[str]:
    words = []
    for token in text.split():
        token = token.strip(".,;:!?()[]{}\"'`*").lower()
        if token:
            words.append(token)
    return words


def _ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_documentation_is_not_copied_from_upstream(
    upstream_paths: tuple[Path, ...],
) -> None:
    upstream_grams: set[tuple[str, ...]] = set()
    for path in upstream_paths:
        for comment in _parse(path).iter(etree.Comment):
            upstream_grams |= _ngrams(comment.text or "")
    # Self-check of the tokenizer: a known upstream sentence must be caught.
    probe = "Unlike the standard D-Bus Introspectable interface, querying this property does not require parsing XML."
    assert _ngrams(probe) <= upstream_grams
    copied = []
    for path in _our_files():
        for comment in _parse(path).iter(etree.Comment):
            for gram in sorted(_ngrams(comment.text or "") & upstream_grams):
                copied.append(f"{path.name}:{comment.sourceline}: {' '.join(gram)}")
    assert not copied, "word runs copied from upstream comments:\n" + "\n".join(copied)
