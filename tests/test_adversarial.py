"""Hostile and unusable input: each is refused with ONE diagnostic (file:line:col, no
traceback) in bounded time and memory, through the API and through the CLI.

Every case runs in a child process with RLIMIT_AS = 512 MiB and a timeout, so a
parser that expanded entities or fetched a DTD would fail the test instead of
taking the machine down.
"""

from __future__ import annotations

import ctypes
import http.server
import json
import os
import random
import re
import resource
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hyp import examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qdbusgen.diagnostics import InputError
from qdbusgen.parser import MAX_BYTES, MAX_DEPTH, parse_bytes
from qdbusgen.validate import validate

ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 512 * 1024 * 1024
TIMEOUT = 60  # seconds, generous for a loaded CI machine; real runs take well under 2 s

CHILD = r"""
import json, sys
from qdbusgen.diagnostics import InputError
from qdbusgen.parser import parse_file
from qdbusgen.validate import validate
try:
    result = parse_file(sys.argv[1])
except InputError as exc:
    d = exc.diagnostic
    print(json.dumps({"kind": "refused", "rule": d.rule, "file": d.location.file, "line": d.location.line,
                      "column": d.location.column, "message": d.message, "text": d.format()}))
else:
    found = [*result.diagnostics, *validate(result.document, result.diagnostics)]
    print(json.dumps({"kind": "parsed", "interfaces": [i.name for i in result.document.interfaces],
                      "annotations": [a.value for i in result.document.interfaces for a in i.annotations],
                      "root_name": result.document.root.name,
                      "rules": [d.rule for d in found]}))
"""


def drop_root_file_access() -> None:
    """In the child (Linux, as root): remove CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from
    the bounding set, so that after exec even root obeys file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def limits(restricted: bool = False) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT, TIMEOUT))
        if restricted:
            drop_root_file_access()

    return apply


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("QDBUSGEN_DEBUG", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(args: list[str], restricted: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=limits(restricted),
        stdin=subprocess.DEVNULL,
    )


def api(path: Path | str, restricted: bool = False) -> dict[str, object]:
    proc = run(["-c", CHILD, str(path)], restricted)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def cli(path: Path | str, restricted: bool = False) -> subprocess.CompletedProcess[str]:
    proc = run(["-m", "qdbusgen", "validate", str(path)], restricted)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


SUMMARY = re.compile(r"^\d+ file\(s\): \d+ error\(s\), \d+ warning\(s\), \d+ info\(s\)$")


def assert_cli_refuses(
    path: Path | str, rule: str, line: int, column: int, restricted: bool = False
) -> None:
    proc = cli(path, restricted)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out_lines = proc.stdout.splitlines()
    err_lines = proc.stderr.splitlines()
    # one diagnostic line; the only other output is the closing summary
    assert len(out_lines) == 1, proc.stdout
    assert out_lines[0].startswith(f"{path}:{line}:{column}: error: "), out_lines[0]
    assert out_lines[0].endswith(f"[{rule}]"), out_lines[0]
    assert len(err_lines) == 1 and SUMMARY.match(err_lines[0]), proc.stderr


@dataclass
class Case:
    name: str
    data: bytes
    rule: str
    line: int
    column: int
    words: str


def billion_laughs() -> bytes:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE node [", ' <!ENTITY lol0 "lol">']
    for i in range(1, 10):
        lines.append(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">')
    lines += ["]>", '<node name="/&lol9;"><interface name="a.B">&lol9;</interface></node>']
    return "\n".join(lines).encode()


def deep(levels: int) -> bytes:
    return b"<node>" * levels + b"</node>" * levels


CASES = [
    # lol6 (3,000,000 characters) is the first declaration over the expansion limit
    Case("billion_laughs", billion_laughs(), "XML-E002", 9, 2, "expands to more than"),
    Case(
        "quadratic_blowup",
        b'<!DOCTYPE node [\n <!ENTITY big "'
        + b"x" * 100_000
        + b'">\n]>\n<node>\n'
        + b"&big;" * 10
        + b"<interface name='a.B'/>\n"
        + b"&big;" * 1000
        + b"</node>\n",
        "XML-E002",
        6,
        1,
        "in total",
    ),
    Case(
        "entity_cycle",
        b'<!DOCTYPE node [\n<!ENTITY a "x&b;">\n<!ENTITY b "y&a;">\n]>\n<node>&a;</node>\n',
        "XML-E002",
        2,
        1,
        "refers to itself",
    ),
    Case(
        "entities_nested_too_deep",
        (
            "<!DOCTYPE node [\n"
            + "".join(f'<!ENTITY e{i} "{i}&e{i + 1};">\n' for i in range(12))
            + '<!ENTITY e12 "end">\n]>\n<node>&e0;</node>\n'
        ).encode(),
        "XML-E002",
        2,
        1,
        "nested deeper than 8",
    ),
    Case(
        "entity_with_markup",
        b"<!DOCTYPE node [\n  <!ENTITY m \"<interface name='a.B'/>\">\n]>\n<node>&m;</node>\n",
        "XML-E002",
        2,
        3,
        "markup",
    ),
    Case(
        "entity_with_escaped_markup",
        b"<!DOCTYPE node [\n  <!ENTITY m \"&#60;interface name='a.B'/>\">\n]>\n<node>&m;</node>\n",
        "XML-E002",
        2,
        3,
        "character reference",
    ),
    Case(
        "entity_with_hidden_reference",
        b'<!DOCTYPE node [\n<!ENTITY big "xxxxxxxxxx">\n<!ENTITY a "&#38;big;&#x26;big;">\n]>\n'
        b"<node>&a;</node>\n",
        "XML-E002",
        3,
        1,
        "character reference",
    ),
    Case(
        "utf16_billion_laughs",
        billion_laughs()
        .decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
        .encode("utf-16"),
        "XML-E002",
        9,
        2,
        "expands to more than",
    ),
    Case(
        "parameter_entity_reference",
        b'<!DOCTYPE node [\n<!ENTITY ok "fine">\n  %pe;\n]>\n<node/>\n',
        "XML-E002",
        3,
        3,
        "parameter-entity references",
    ),
    Case(
        "external_entity",
        b'<?xml version="1.0"?>\n<!DOCTYPE node [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
        b'<node><interface name="a.B"><annotation name="x.y" value="&xxe;"/>&xxe;</interface></node>\n',
        "XML-E002",
        3,
        3,
        "external entity",
    ),
    Case(
        "parameter_entities",
        b'<?xml version="1.0"?>\n<!DOCTYPE node [\n<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">\n%remote;\n]>\n<node/>\n',
        "XML-E002",
        3,
        1,
        "parameter entities",
    ),
    Case(
        "utf16_external_entity",
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE node [\n <!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n<node name="&x;"/>\n'.encode(
            "utf-16"
        ),
        "XML-E002",
        3,
        2,
        "external entity",
    ),
    Case(
        "undeclared_entity",
        b'<node>\n  <interface name="&nope;"/>\n</node>',
        "XML-E001",
        2,
        26,
        "nope",
    ),  # libxml2: just after the reference
    Case(
        "too_deep",
        deep(MAX_DEPTH + 1),
        "XML-E004",
        1,
        6 * MAX_DEPTH + 1,
        f"deeper than {MAX_DEPTH}",
    ),
    Case("far_too_deep", deep(100_000), "XML-E004", 1, 1542, f"deeper than {MAX_DEPTH}"),
    Case(
        "invalid_utf8",
        b'<node>\n  <interface name="a.\xff\xfeB"/>\n</node>',
        "XML-E001",
        2,
        22,
        "encoding",
    ),  # the \xff
    Case("nul_byte", b'<node>\n  <interface name="a.B"/>\x00\n</node>', "XML-E001", 2, 26, "0x0"),
    Case("empty_file", b"", "XML-E001", 1, 1, "empty"),
    Case("only_whitespace", b"\n\n   ", "XML-E001", 3, 4, "Start tag expected"),
    Case(
        "binary_junk",
        b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(4096),
        "XML-E001",
        1,
        1,
        "Start tag expected",
    ),
    Case(
        "gzip_junk",
        b"\x1f\x8b\x08\x00" + random.Random(8).randbytes(2048),
        "XML-E001",
        1,
        1,
        "Start tag expected",
    ),
    Case(
        "not_closed",
        b'<node>\n  <interface name="a.B">\n',
        "XML-E001",
        3,
        1,
        "Premature end of data",
    ),
    Case(
        "mismatched_tags",
        b'<node>\n  <interface name="a.B">\n  </method>\n</node>',
        "XML-E001",
        3,
        12,
        "mismatch",
    ),
    Case(
        "unknown_encoding",
        b'<?xml version="1.0" encoding="no-such-encoding"?>\n<node/>',
        "XML-E001",
        1,
        48,
        "encoding",
    ),
    Case(
        "not_introspection",
        b'<?xml version="1.0"?>\n<html><body/></html>',
        "DBUS-E001",
        2,
        1,
        "root element",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_is_refused_with_one_diagnostic(case: Case, tmp_path: Path) -> None:
    path = tmp_path / f"{case.name}.xml"
    path.write_bytes(case.data)
    got = api(path)
    assert got["kind"] == "refused", got
    assert (got["rule"], got["file"], got["line"], got["column"]) == (
        case.rule,
        str(path),
        case.line,
        case.column,
    ), got
    assert case.words.lower() in str(got["message"]).lower()
    assert "\n" not in str(got["text"])
    assert "root:" not in json.dumps(got)  # /etc/passwd never leaks into a message


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_cli_exits_2_with_one_line(case: Case, tmp_path: Path) -> None:
    path = tmp_path / f"{case.name}.xml"
    path.write_bytes(case.data)
    assert_cli_refuses(path, case.rule, case.line, case.column)


def test_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with open(path, "wb") as fh:
        fh.write(b"<node>\n<!--")
        fh.write(b"x" * (MAX_BYTES - 20))
        fh.write(b"-->\n</node>\n")
    assert path.stat().st_size > MAX_BYTES
    got = api(path)
    assert (got["kind"], got["rule"], got["line"], got["column"]) == ("refused", "XML-E003", 1, 1)
    assert_cli_refuses(path, "XML-E003", 1, 1)
    with pytest.raises(InputError) as info:
        parse_bytes(path.read_bytes(), "huge.xml")
    assert info.value.diagnostic.rule == "XML-E003"


def test_just_under_the_size_limit_parses_in_bounded_time(tmp_path: Path) -> None:
    """Many elements (about 10 MiB): parsed within the memory limit and the timeout."""
    method = b'    <method name="M%07d"><arg name="a" type="a{sv}" direction="in"/></method>\n'
    count = (10 * 1024 * 1024) // len(method % 0)
    path = tmp_path / "big.xml"
    with open(path, "wb") as fh:
        fh.write(b'<node>\n  <interface name="com.example.Big">\n')
        for i in range(count):
            fh.write(method % i)
        fh.write(b"  </interface>\n</node>\n")
    assert path.stat().st_size <= MAX_BYTES
    got = api(path)
    assert got["kind"] == "parsed" and got["interfaces"] == ["com.example.Big"]
    assert got["rules"] == []


# --------------------------------------------------------------------------- DTDs are never fetched


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        _CountingHandler.requests.append(self.path)
        body = b'<!ATTLIST method name CDATA "Injected">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def dtd_server() -> Iterator[str]:
    _CountingHandler.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n "{url}/introspect.dtd">',
        '<!DOCTYPE node SYSTEM "{url}/introspect.dtd">',
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">',
    ],
)
def test_external_dtd_is_not_fetched_and_the_file_parses(
    doctype: str, dtd_server: str, tmp_path: Path
) -> None:
    path = tmp_path / "with-dtd.xml"
    path.write_text(
        doctype.format(url=dtd_server)
        + '\n<node name="/a">\n  <interface name="com.example.Sample1">\n    <method/>\n  </interface>\n</node>\n'
    )
    got = api(path)
    assert got["kind"] == "parsed", got
    assert got["interfaces"] == ["com.example.Sample1"]
    assert got["rules"] == ["DBUS-E004"]  # the <method> has no name: no default came from a DTD
    assert _CountingHandler.requests == []
    proc = cli(path)
    assert proc.returncode == 1 and _CountingHandler.requests == []


def test_local_external_dtd_is_not_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "defaults.dtd"
    dtd.write_text(
        '<!ATTLIST method name CDATA "Injected">\n<!ATTLIST node name CDATA "/injected">\n'
    )
    path = tmp_path / "local-dtd.xml"
    path.write_text(
        f'<!DOCTYPE node SYSTEM "file://{dtd}">\n<node><interface name="a.B"><method/></interface></node>\n'
    )
    got = api(path)
    assert got["kind"] == "parsed" and got["root_name"] is None
    assert got["rules"] == ["DBUS-E004"]


# --------------------------------------------------------------------------- files that cannot be read


def test_directory(tmp_path: Path) -> None:
    directory = tmp_path / "adir.xml"
    directory.mkdir()
    got = api(directory)
    assert (got["kind"], got["rule"], got["line"], got["column"]) == ("refused", "XML-E005", 1, 1)
    assert "directory" in str(got["message"])
    # the CLI expands a directory argument to its *.xml files; a directory among them
    # (here adir.xml inside tmp_path) is refused like any unreadable input
    proc = cli(tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [
        f"{directory}:1:1: error: is a directory, not an XML file [XML-E005]"
    ]


def test_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "dangling.xml"
    link.symlink_to(tmp_path / "does-not-exist.xml")
    got = api(link)
    assert (got["kind"], got["rule"], got["line"], got["column"]) == ("refused", "XML-E005", 1, 1)
    assert "No such file" in str(got["message"])
    assert_cli_refuses(link, "XML-E005", 1, 1)


def test_missing_file(tmp_path: Path) -> None:
    assert_cli_refuses(tmp_path / "missing.xml", "XML-E005", 1, 1)


def test_path_through_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("<node/>")
    got = api(tmp_path / "plain" / "x.xml")
    assert (got["kind"], got["rule"]) == ("refused", "XML-E005")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.xml"
    os.mkfifo(fifo)
    got = api(fifo)  # bounded by TIMEOUT: opening a FIFO without a writer used to block
    assert (got["kind"], got["rule"], got["line"], got["column"]) == ("refused", "XML-E001", 1, 1)
    assert "empty" in str(got["message"]).lower()
    assert_cli_refuses(fifo, "XML-E001", 1, 1)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fed.xml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(b'<node><interface name="a.B"/></node>')

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    got = api(fifo)
    writer.join(timeout=TIMEOUT)
    assert got["kind"] == "parsed" and got["interfaces"] == ["a.B"]


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="needs POSIX permissions")
def test_unreadable_file(tmp_path: Path) -> None:
    """chmod 000 does not stop root: as root, the child first gives up the capabilities
    that bypass file permissions (Linux), so the file really is unreadable to it."""
    restricted = os.geteuid() == 0
    if restricted and not sys.platform.startswith("linux"):
        pytest.skip(
            "running as root on a system without Linux capabilities: cannot make a file unreadable"
        )
    path = tmp_path / "secret.xml"
    path.write_text('<node><interface name="a.B"/></node>')
    path.chmod(0)
    try:
        try:
            got = api(path, restricted)
        except subprocess.SubprocessError as exc:
            pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here (no CAP_SETPCAP?): {exc}")
        assert (got["kind"], got["rule"], got["line"], got["column"]) == (
            "refused",
            "XML-E005",
            1,
            1,
        )
        assert "Permission denied" in str(got["message"])
        assert_cli_refuses(path, "XML-E005", 1, 1, restricted)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


# --------------------------------------------------------------------------- fuzzing parse_bytes in process


def check_parse(data: bytes) -> None:
    try:
        result = parse_bytes(data, "fuzz.xml")
    except InputError as exc:
        d = exc.diagnostic
        assert d.location is not None and d.location.file == "fuzz.xml"
        assert d.location.line >= 1 and d.location.column >= 1
        assert "\n" not in d.format()
        return
    found = [*result.diagnostics, *validate(result.document, result.diagnostics)]
    for d in found:
        assert d.location is not None and d.location.line >= 1 and d.location.column >= 1
        assert "\n" not in d.format()


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    check_parse(data)


NAMES = st.sampled_from(
    [
        "node",
        "interface",
        "method",
        "signal",
        "property",
        "arg",
        "annotation",
        "doc",
        "line",
        "doc:doc",
        "tp:docstring",
        "x",
        "methd",
    ]
)
ATTR_NAMES = st.sampled_from(
    ["name", "type", "direction", "access", "value", "version", "xmlns:doc", "doc:x", "xmlns"]
)
ATTR_VALUES = st.one_of(
    st.sampled_from(
        [
            "/",
            "/a/b",
            "a.b",
            "com.example.X",
            "in",
            "out",
            "read",
            "a{sv}",
            "{sv}",
            "(ii",
            "",
            "true",
            "http://www.freedesktop.org/dbus/1.0/doc.dtd",
        ]
    ),
    st.text(max_size=12).map(
        lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    ),
)
PIS = st.sampled_from(
    [
        "<?if $(env.HOST_OS) == linux?>",
        "<?if $(env.HOST_OS) != windows?>",
        "<?else?>",
        "<?endif?>",
        "<?elseif $(env.HOST_OS) == x?>",
        "<?ifdef X?>",
        "<?if nonsense?>",
        "<?foo bar?>",
    ]
)
MISC = st.sampled_from(
    ["<!-- Ping:\n @a: x\n -->", "<![CDATA[<node>]]>", "&amp;", "&nope;", "text", "\n", "\t", "é"]
)


@st.composite
def xml_like(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(NAMES)
    attrs = draw(st.lists(st.tuples(ATTR_NAMES, ATTR_VALUES), max_size=3, unique_by=lambda t: t[0]))
    head = "<" + name + "".join(f' {k}="{v}"' for k, v in attrs)
    if name.startswith(("doc:", "tp:")):
        head += f' xmlns:{name.split(":")[0]}="urn:x"'
    parts: list[str] = []
    if depth < 4:
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            parts.append(draw(st.one_of(xml_like(depth + 1), PIS, MISC)))
    if not parts and draw(st.booleans()):
        return head + "/>"
    return head + ">" + "".join(parts) + f"</{name}>"


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    body = draw(xml_like())
    prefix = draw(
        st.sampled_from(
            [
                "",
                '<?xml version="1.0"?>\n',
                "\ufeff",
                "<!-- c -->\n",
                '<!DOCTYPE node SYSTEM "x.dtd">\n',
            ]
        )
    )
    text = prefix + body
    if draw(st.booleans()):
        # and some damage: cut, splice junk, or repeat a slice
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        junk = draw(
            st.sampled_from(
                ["", "<", ">", "</x>", "&", "\x00", "<!ENTITY a 'b'>", "]]>", "<?", "\ud800"]
            )
        )
        text = text[:cut] + junk + text[cut:]
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
# lxml names this root ``{a{sv}}node``, which etree.QName refused with a ValueError
@example(b'<!DOCTYPE node SYSTEM "x.dtd">\n<node xmlns="a{sv}">&nope;</node>')
@example(b'<!DOCTYPE node SYSTEM "x.dtd">\n<node xmlns="a{sv}"/>')
def test_random_xml_like_text_never_crashes(data: bytes) -> None:
    check_parse(data)


@settings(max_examples=examples(100), deadline=None)
@given(documents(), st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1"]))
def test_other_encodings_never_crash(data: bytes, encoding: str) -> None:
    text = data.decode("utf-8", "replace")
    check_parse(text.encode(encoding, "replace"))
