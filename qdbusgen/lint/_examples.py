"""Bad and good example documents for every rule of groups A and B.

Converted once from the examples of the project's rule catalog
(shared docs/lint-rules.md); interface-content snippets are wrapped in
``<node><interface name="com.example.Sample1">``. ``⟨'a'×N⟩`` stands for N copies of
``a`` and is expanded by :func:`qdbusgen.lint.rules.expand_example`.
"""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, str]] = {
    "DBUS-E001": (
        """\
<interface name="com.example.Sample1">
  <method name="Ping"/>
</interface>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "DBUS-E002": (
        """\
<node>
  <interface name="com.example.Sample1">
    <methd name="Ping"/>
    <error name="com.example.Sample1.Error.Failed"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <doc:doc xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd"><doc:description><doc:para>Checks liveness.</doc:para></doc:description></doc:doc>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E003": (
        """\
<node>
  <interface name="com.example.Sample1">
    <arg name="orphan" type="s" direction="in"/>
    <method name="Ping">
      <property name="Inner" type="s" access="read"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <arg name="orphan" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E004": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Status" type="u"/>
    <method name="Ping">
      <arg name="token" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Status" type="u" access="read"/>
    <method name="Ping">
      <arg name="token" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E005": (
        """\
<node name="/com/example/Sample1/">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node name="/com/example/Sample1">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "DBUS-E006": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
  <node name="/com/example/Sample1/child"/>
  <node name="bad-child"/>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
  <node name="child"/>
</node>
""",
    ),
    "DBUS-E007": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
  <node name="child"/>
  <node name="child"/>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
  <node name="child"/>
  <node name="other"/>
</node>
""",
    ),
    "DBUS-E008": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
  <interface name="com.example.Sample1">
    <method name="Pong"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
    <method name="Pong"/>
  </interface>
</node>
""",
    ),
    "DBUS-E010": (
        """\
<node>
  <interface name="Sample1">
    <method name="Ping"/>
  </interface>
  <interface name="com.example.1Sample">
    <method name="Ping"/>
  </interface>
  <interface name="com.my-example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="org._7_zip.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "DBUS-E011": (
        """\
<node>
  <interface name="com.example.S⟨'a'×242⟩1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.S⟨'a'×241⟩1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "DBUS-E013": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Do.Thing"/>
    <method name="Get-Items"/>
    <signal name="1Changed"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="DoThing"/>
    <signal name="Changed1"/>
  </interface>
</node>
""",
    ),
    "DBUS-E014": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Add">
      <arg name="value" type="u" direction="in"/>
    </method>
    <method name="Add">
      <arg name="value" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="AddNumber">
      <arg name="value" type="u" direction="in"/>
    </method>
    <method name="AddText">
      <arg name="value" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E015": (
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="Updated">
      <arg name="count" type="u"/>
    </signal>
    <signal name="Updated">
      <arg name="label" type="s"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="Updated">
      <arg name="count" type="u"/>
    </signal>
  </interface>
</node>
""",
    ),
    "DBUS-E016": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Level" type="u" access="read"/>
    <property name="Level" type="s" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Level" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "DBUS-E017": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="" type="u" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Level" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "DBUS-E018": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Level" type="u" access="readonly"/>
    <property name="Mode" type="u" access="READ"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Level" type="u" access="read"/>
    <property name="Mode" type="u" access="readwrite"/>
  </interface>
</node>
""",
    ),
    "DBUS-E020": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Swap">
      <arg name="value" type="u" direction="inout"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Swap">
      <arg name="value" type="u" direction="in"/>
      <arg name="previous" type="u" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E021": (
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="Updated">
      <arg name="count" type="u" direction="in"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="Updated">
      <arg name="count" type="u"/>
    </signal>
  </interface>
</node>
""",
    ),
    "DBUS-E022": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Move">
      <arg name="position" type="ii" direction="in"/>
    </method>
    <property name="Origin" type="" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Move">
      <arg name="position" type="(ii)" direction="in"/>
    </method>
    <property name="Origin" type="(ii)" access="read"/>
  </interface>
</node>
""",
    ),
    "DBUS-E030": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Load">
      <arg name="data" type="z" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Load">
      <arg name="data" type="ay" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E031": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Lookup">
      <arg name="key" type="s" direction="in"/>
      <arg name="hit" type="ms" direction="out"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Lookup">
      <arg name="key" type="s" direction="in"/>
      <arg name="hits" type="as" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E032": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Store">
      <arg name="items" type="a" direction="in"/>
      <arg name="pair" type="(ia)" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Store">
      <arg name="items" type="ai" direction="in"/>
      <arg name="pair" type="(iai)" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E033": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Move">
      <arg name="position" type="(ii" direction="in"/>
    </method>
    <method name="Jump">
      <arg name="target" type="a{sv" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Move">
      <arg name="position" type="(ii)" direction="in"/>
    </method>
    <method name="Jump">
      <arg name="target" type="a{sv}" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E034": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Reset">
      <arg name="nothing" type="()" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Reset">
      <arg name="flags" type="(u)" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E035": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="options" type="{sv}" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="options" type="a{sv}" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E036": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="options" type="a{s}" direction="in"/>
      <arg name="more" type="a{sss}" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="options" type="a{ss}" direction="in"/>
      <arg name="more" type="a{s(ss)}" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E037": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="options" type="a{vs}" direction="in"/>
      <arg name="table" type="a{(ii)s}" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="options" type="a{sv}" direction="in"/>
      <arg name="table" type="a{us}" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E038": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Deep">
      <arg name="value" type="⟨'a'×33⟩i" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Deep">
      <arg name="value" type="⟨'a'×32⟩i" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E039": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Deep">
      <arg name="value" type="⟨'('×33⟩i⟨')'×33⟩" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Deep">
      <arg name="value" type="⟨'('×32⟩i⟨')'×32⟩" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E040": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Wide">
      <arg name="value" type="(⟨'i'×254⟩)" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Wide">
      <arg name="value" type="(⟨'i'×253⟩)" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-E050": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="org.freedesktop.DBus.Deprecated" value="yes"/>
    </method>
    <property name="Level" type="u" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="always"/>
    </property>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>
    </method>
    <property name="Level" type="u" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    </property>
  </interface>
</node>
""",
    ),
    "DBUS-E060": (
        """\
<node>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
  </interface>
  <interface name="com.example.Sample1">
    <property name="Level" type="u" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <signal name="PropertiesChanged">
      <arg name="interface_name" type="s"/>
      <arg name="changed_properties" type="a{sv}"/>
      <arg name="invalidated_properties" type="as"/>
    </signal>
  </interface>
  <interface name="com.example.Sample1">
    <property name="Level" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "DBUS-E061": (
        """\
<node>
  <interface name="org.freedesktop.DBus.Local">
    <signal name="Disconnected"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="Disconnected"/>
  </interface>
</node>
""",
    ),
    "DBUS-E062": (
        """\
<node name="/org/freedesktop/DBus/Local">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node name="/com/example/Sample1">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "DBUS-W001": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Echo">
      <arg name="text" type="s"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Echo">
      <arg name="text" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-I002": (
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="Updated">
      <arg name="count" type="u" direction="out"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="Updated">
      <arg name="count" type="u"/>
    </signal>
  </interface>
</node>
""",
    ),
    "DBUS-W003": (
        """\
<node>
  <annotation name="com.example.Owner" value="team"/>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <annotation name="com.example.Owner" value="team"/>
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "DBUS-W004": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping" version="2"/>
    <property name="Level" type="u" access="read" default="0"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method xmlns:ext="urn:example:ext" name="Ping" ext:since="2"/>
    <property name="Level" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "DBUS-W005": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="connection-status" type="u" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="ConnectionStatus" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "DBUS-W006": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Refresh"/>
    <property name="Refresh" type="u" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Refresh"/>
    <property name="RefreshCount" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "DBUS-W007": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Resize">
      <arg name="size" type="u" direction="in"/>
      <arg name="size" type="u" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Resize">
      <arg name="size" type="u" direction="in"/>
      <arg name="size" type="u" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-W008": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Greet">
      <arg name="first-name" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Greet">
      <arg name="first_name" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-W009": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>
      <annotation name="org.freedesktop.DBus.Deprecated" value="false"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-W010": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/>
    </method>
    <signal name="Pinged">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
    </method>
    <property name="Level" type="u" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/>
    </property>
  </interface>
</node>
""",
    ),
    "DBUS-W011": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Notify">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
      <arg name="event" type="s" direction="in"/>
      <arg name="accepted" type="u" direction="out"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Notify">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
      <arg name="event" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "DBUS-W012": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="deprecated" value="true"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping">
      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-I101": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
  <interface name="com.example.Sample1.Extra">
    <method name="Pong"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W110": (
        """\
<node>
  <interface name="com.example.Sample">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1.Manager">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W111": (
        """\
<node name="/">
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node name="/com/example/Sample1">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W112": (
        """\
<node name="/com/example/Sample/Manager">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node name="/com/example/Sample1/Manager">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-I113": (
        """\
<node name="/org/other/Thing1">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node name="/com/example/Sample1/Thing">
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-I120": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="config_json" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Configure">
      <arg name="config" type="a{sv}" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-I121": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="MoveAddressBook">
      <arg name="direction" type="b" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="MoveAddressBook">
      <arg name="direction" type="u" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-I122": (
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="ProgressNotification">
      <arg name="progress_message" type="s"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="ProgressNotification">
      <arg name="progress_state" type="u"/>
    </signal>
  </interface>
</node>
""",
    ),
    "GUIDE-I123": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="AddContacts">
      <arg name="contact_names" type="as" direction="in"/>
      <arg name="contact_emails" type="as" direction="in"/>
      <arg name="ids" type="au" direction="out"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="AddContacts">
      <arg name="details" type="a(ss)" direction="in"/>
      <arg name="ids" type="au" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-I125": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Value" type="v" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Value" type="a{sv}" access="read"/>
  </interface>
</node>
""",
    ),
    "GUIDE-I126": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="StoreItems">
      <arg name="items" type="au" direction="in"/>
      <arg name="n_items" type="u" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="StoreItems">
      <arg name="items" type="au" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-W130": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="StartScan">
      <arg name="options" type="a{sv}" direction="in"/>
    </method>
    <signal name="ScanFinished">
      <arg name="results" type="ao"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Scan">
      <arg name="options" type="a{sv}" direction="in"/>
      <arg name="results" type="ao" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-W131": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Connect">
      <arg name="address" type="s" direction="in"/>
      <arg name="error_code" type="i" direction="out"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Connect">
      <arg name="address" type="s" direction="in"/>
      <arg name="connection" type="o" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-W140": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="GetName">
      <arg name="name" type="s" direction="out"/>
    </method>
    <method name="SetName">
      <arg name="name" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Name" type="s" access="readwrite"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W141": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Status" type="u" access="read"/>
    <signal name="StatusChanged">
      <arg name="status" type="u"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Status" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "GUIDE-I142": (
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="AddressBookAdded">
      <arg name="address_book" type="o"/>
    </signal>
    <signal name="AddressBookRemoved">
      <arg name="address_book" type="o"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="DefaultAddressBook" type="o" access="read"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W144": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Name" type="s" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="Name" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
  </interface>
</node>
""",
    ),
    "GUIDE-W150": (
        """\
<node>
  <interface name="Com.Example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-I151": (
        """\
<node>
  <interface name="com.example.sample_service1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.SampleService1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W152": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="list_items">
      <arg name="items" type="as" direction="out"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="ListItems">
      <arg name="items" type="as" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-W153": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="item_count" type="u" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="ItemCount" type="u" access="read"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W154": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Rename">
      <arg name="NewName" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Rename">
      <arg name="new_name" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-I155": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Rename">
      <arg name="str_name" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Rename">
      <arg name="name" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-W156": (
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Echo">
      <arg type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Echo">
      <arg name="text" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-W160": (
        """\
<node>
  <interface name="org.freedesktop.DBus.MyExtension1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-I161": (
        """\
<node>
  <interface name="org.freedesktop.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W162": (
        """\
<node>
  <interface name="org.qemu.Display1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Display1">
    <method name="Ping"/>
  </interface>
</node>
""",
    ),
    "GUIDE-W170": (
        """\
<node>
  <!--
      com.example.Sample1:
      @short_description: Sample service

      A sample interface.
  -->
  <interface name="com.example.Sample1">
    <method name="Ping"/>
  </interface>
</node>
""",
        """\
<node xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd">
  <!--
      com.example.Sample1:
      @short_description: Sample service

      A sample interface.
  -->
  <interface name="com.example.Sample1">
    <!--
        Ping:

        Checks that the service is alive.
    -->
    <method name="Ping"/>
    <signal name="Pinged">
      <annotation name="org.gtk.GDBus.DocString" value="Emitted after each Ping."/>
    </signal>
    <property name="Level" type="u" access="read">
      <doc:doc><doc:description><doc:para>Current level.</doc:para></doc:description></doc:doc>
    </property>
  </interface>
</node>
""",
    ),
    "GUIDE-I171": (
        """\
<node>
  <!--
      com.example.Sample1:

      A sample interface.
  -->
  <interface name="com.example.Sample1">
    <!--
        Echo:

        Returns its input.
    -->
    <method name="Echo">
      <arg name="text" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
        """\
<node>
  <!--
      com.example.Sample1:

      A sample interface.
  -->
  <interface name="com.example.Sample1">
    <!--
        Echo:
        @text: Text to send back.

        Returns its input.
    -->
    <method name="Echo">
      <arg name="text" type="s" direction="in"/>
    </method>
  </interface>
</node>
""",
    ),
    "GUIDE-W190": (
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="LoggedIn">
      <arg name="password" type="s"/>
    </signal>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <signal name="LoggedIn">
      <arg name="user" type="o"/>
    </signal>
  </interface>
</node>
""",
    ),
    "GUIDE-I191": (
        """\
<node>
  <interface name="com.example.Sample1">
    <property name="LogFd" type="h" access="read"/>
  </interface>
</node>
""",
        """\
<node>
  <interface name="com.example.Sample1">
    <method name="OpenLog">
      <arg name="log_fd" type="h" direction="out"/>
    </method>
  </interface>
</node>
""",
    ),
}
