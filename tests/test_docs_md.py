"""``qdbusgen docs``: the Markdown reference, and the committed one for interfaces/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from qdbusgen.cli import cli

ROOT = Path(__file__).resolve().parent.parent

XML = """\
<node xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd">
  <interface name="com.example.Frob1">
    <annotation name="org.gtk.GDBus.Since" value="1.2"/>
    <doc:doc><doc:description><doc:para>Frobs things. &lt;script&gt; # not a heading | pipe</doc:para></doc:description></doc:doc>
    <method name="Poke">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
      <arg name="how_hard" type="u" direction="in">
        <doc:doc><doc:summary>How hard | in newtons</doc:summary></doc:doc>
      </arg>
    </method>
    <method name="Old">
      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>
      <arg name="result" type="a{sv}" direction="out"/>
    </method>
    <signal name="Frobbed">
      <arg name="count" type="t"/>
    </signal>
    <property name="Level" type="d" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    </property>
    <property name="Serial" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
  </interface>
</node>
"""


def test_reference_has_every_fact(tmp_path: Path) -> None:
    xml = tmp_path / "com.example.Frob1.xml"
    xml.write_text(XML, encoding="utf-8")
    out = tmp_path / "ref.md"
    result = CliRunner().invoke(cli, ["docs", str(xml), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "## `com.example.Frob1`" in text and "From `com.example.Frob1.xml`." in text
    assert str(tmp_path) not in text, "no machine paths"
    assert "Since 1.2" in text
    assert "`Poke(how_hard: u)`" in text and "NoReply" in text
    assert "| `how_hard` | in | `u` | How hard \\| in newtons |" in text
    assert "`Old() → (result: a{sv})`" in text and "**Deprecated**" in text
    assert "`Frobbed(count: t)`" in text
    assert "`d`, readwrite" in text and "EmitsChangedSignal: invalidates" in text
    assert "`s`, read" in text and "EmitsChangedSignal: const" in text
    assert "&lt;script&gt;" in text and "<script>" not in text
    mtime = out.stat().st_mtime_ns
    again = CliRunner().invoke(cli, ["docs", str(xml), "-o", str(out)], catch_exceptions=False)
    assert again.exit_code == 0 and out.stat().st_mtime_ns == mtime, "unchanged: not rewritten"


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    xml = tmp_path / "bad.xml"
    xml.write_text(
        '<node><interface name="com.example.Bad1"><method name="M">'
        '<arg type="a{vs}"/></method></interface></node>',
        encoding="utf-8",
    )
    out = tmp_path / "ref.md"
    result = CliRunner().invoke(cli, ["docs", str(xml), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 1 and f"{xml}:1:" in result.stderr and not out.exists()
    assert "Traceback" not in result.output


def test_committed_reference_of_interfaces_is_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_reference_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
