"""The registry of every rule qdbusgen reports: groups A (specification) and B (design
guidelines) for ``qdbusgen lint``, group C (API compatibility) for ``qdbusgen diff``, plus
the input errors of the parser and the linter's own LINT-W001.

Each :class:`Rule` carries what ``qdbusgen lint --explain``, the SARIF rule table and
the generated pages under ``docs/rules/`` show: title, default severity, rationale, how
it is detected, a bad and a good example, and where the rule comes from. Rationales
and detection texts are written for this project, after the project's rule catalog.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from ..diagnostics import Severity
from ..model import is_standard_interface as is_standard_interface  # re-exported

E = Severity.ERROR
W = Severity.WARNING
I = Severity.INFO  # noqa: E741

SUPPRESS_ANNOTATION = "org.qdbusgen.Lint.Suppress"
UNUSED_SUPPRESSION = "LINT-W001"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    #: "xml" for documents, "text" for anything else (names given on a command line).
    language: str = "xml"
    #: File name the example must have, when the rule looks at file names.
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str
    rationale: str
    detection: str
    source: str
    #: "A" (specification), "B" (guidelines), "C" (compatibility, ``qdbusgen diff``),
    #: "input" (unusable input), "name" (Python names the generator cannot assign),
    #: "override" (--annotate / [tool.qdbusgen.overrides]) or "lint" (the linter itself).
    group: str
    heuristic: bool = False
    #: Reported only when qdbusgen checks names given to it, never from XML.
    validator_only: bool = False
    #: Off unless ``select`` names the rule by its full id (heuristics that cannot reach the
    #: precision of the default set on real files).
    default_enabled: bool = True
    #: The ``[tool.qdbusgen.lint]`` settings the examples assume (key, values), if any.
    example_config: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Named cases reported at another severity than ``severity`` (case, severity): the
    #: report site names the case, the table says what it weighs.
    severity_cases: tuple[tuple[str, Severity], ...] = ()

    def severity_for(self, case: str | None = None) -> Severity:
        """The severity of a finding of this rule (of one of its ``severity_cases``)."""
        if case is None:
            return self.severity
        for name, severity in self.severity_cases:
            if name == case:
                return severity
        raise KeyError(f"{self.id} has no severity case {case!r}")

    @property
    def doc_path(self) -> str:
        return f"docs/rules/{self.id}.md"

    # The examples are read from the packaged files (and group C's diffs computed) when
    # first shown, not when the catalogue is built: a `generate` run never shows them.
    @property
    def bad(self) -> Example | None:
        """An example that the rule reports (None: the rule has none)."""
        return _rule_examples(self.id, self.group)[0]

    @property
    def good(self) -> Example | None:
        """The same example fixed: the rule does not report it."""
        return _rule_examples(self.id, self.group)[1]

    @property
    def base(self) -> Example | None:
        """Group C: the old document that the ``bad``/``good`` diffs (language "diff") change."""
        return _rule_examples(self.id, self.group)[2]


_EXPAND_RE = re.compile("\u27e8'(.)'\u00d7(\\d+)\u27e9")


def expand_example(text: str) -> str:
    """Expand the catalog's ``⟨'a'×N⟩`` shorthand into N copies of ``a``."""
    return _EXPAND_RE.sub(lambda m: m.group(1) * int(m.group(2)), text)


# (id, title, rationale, detection, source); severity from the id letter unless overridden.
_A: list[tuple[str, str, str, str, str]] = [
    (
        "DBUS-E001",
        "Root element must be <node>",
        "An introspection document is a tree with one <node> at the top. A file whose root is "
        "something else (a bare <interface>, a <tp:spec> wrapper) is not introspection data, and "
        "tools disagree on what to make of it.",
        "The document element is not an un-namespaced `node`. A bare `<interface>` root is accepted "
        "as if wrapped in `<node>` and reported as a warning; any other root makes the file unusable.",
        'spec "Introspection Data Format"; introspect.dtd',
    ),
    (
        "DBUS-E002",
        "Unknown element in the D-Bus (empty) namespace",
        "Only seven element names exist in introspection XML. A misspelt element such as <methd> is "
        "silently skipped by lenient parsers like GDBus, so part of the API simply disappears.",
        "Any element without an XML namespace whose name is not node, interface, method, signal, "
        "property, arg or annotation. Namespaced elements (doc:doc, tp:docstring, ...) are documentation "
        "or extensions and are skipped with their content.",
        'spec "Introspection Data Format"; introspect.dtd',
    ),
    (
        "DBUS-E003",
        "Known element in a disallowed parent",
        "Each element may only appear in certain parents (arg only in method or signal, property only in "
        "interface, ...). GDBus refuses documents that break this, other tools drop the element.",
        "A known element whose parent does not allow it under the DTD content model. Annotations in "
        "<node> or in <annotation> are DBUS-W003 instead.",
        'spec "Introspection Data Format"; introspect.dtd; gio/gdbusintrospection.c',
    ),
    (
        "DBUS-E004",
        "Missing required attribute",
        "Without the attributes the DTD requires (the name of interfaces and members, the type of args, "
        "name/type/access of properties, name/value of annotations) no model or binding can be built.",
        "A required attribute is absent. An empty value counts as present and is judged by the name "
        "and type rules.",
        "introspect.dtd (#REQUIRED attributes)",
    ),
    (
        "DBUS-E005",
        "Root <node name> must be an absolute object path",
        "The root node may leave out its name, but a name it gives must be a valid absolute object "
        "path, or the object cannot be addressed.",
        "The root node's `name` does not match `/` or `(/[A-Za-z0-9_]+)+`: no trailing or doubled "
        "slashes, ASCII letters, digits and '_' only.",
        'spec "Introspection Data Format"; spec "Valid Object Paths"',
    ),
    (
        "DBUS-E006",
        "Child <node> must have a relative object-path name",
        "Child nodes name objects below their parent; a missing, absolute or malformed name does not "
        "resolve to any object path.",
        "A non-root node without `name`, or whose name does not match `[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*`.",
        'spec "Introspection Data Format"',
    ),
    (
        "DBUS-E007",
        "Duplicate child node name",
        "Two child nodes with one name describe the same object twice, and a reader cannot know which "
        "description is right.",
        "The same `name` on two direct child nodes of one node.",
        'dbus-deviation "duplicate-node"',
    ),
    (
        "DBUS-E008",
        "Duplicate interface on one node",
        "An object implements each interface once; a second declaration makes every member lookup "
        "ambiguous.",
        "Two interfaces with the same name directly inside one node.",
        'dbus-deviation "duplicate-interface"',
    ),
    (
        "DBUS-E010",
        "Invalid interface name",
        "Interface names travel in every message header and the bus rejects malformed ones: at least "
        "two dot-separated elements of ASCII letters, digits and '_', none empty or starting with a "
        "digit. Hyphens, allowed in bus names, are not allowed here.",
        "The interface name does not match `[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+` "
        "(length is DBUS-E011).",
        'spec "Valid Names": interface names',
    ),
    (
        "DBUS-E011",
        "Name longer than 255 bytes",
        "The specification caps bus, interface, error and member names at 255 bytes; longer names "
        "cannot be sent.",
        "The UTF-8 length of an interface, method, signal or property name exceeds 255 bytes.",
        'spec "Valid Names" (maximum name length)',
    ),
    (
        "DBUS-E013",
        "Invalid method/signal name",
        "Member names are single identifiers: ASCII letters, digits and '_', not starting with a digit, "
        "without dots. The bus refuses messages with other member names.",
        "A method or signal name that does not match `[A-Za-z_][A-Za-z0-9_]*`.",
        'spec "Valid Names": member names',
    ),
    (
        "DBUS-E014",
        "Duplicate method name in an interface",
        "D-Bus has no overloading: a call names only interface and member, so two methods with one name "
        "cannot both be reached.",
        "Two methods of one interface with the same name, whatever their arguments.",
        'spec "Method Calls"; dbus-deviation "duplicate-method"',
    ),
    (
        "DBUS-E015",
        "Duplicate signal name in an interface",
        "Receivers match signals by interface and member name; two definitions under one name leave "
        "the signature ambiguous.",
        "Two signals of one interface with the same name.",
        'dbus-deviation "duplicate-signal"',
    ),
    (
        "DBUS-E016",
        "Duplicate property name in an interface",
        "Properties.Get and Set address a property by interface and name; a duplicate makes the type "
        "and access ambiguous.",
        "Two properties of one interface with the same name.",
        'dbus-deviation "duplicate-property"',
    ),
    (
        "DBUS-E017",
        "Empty property name",
        "A property name is sent as a string to Properties.Get/Set; the empty string names nothing.",
        'A property with `name=""`.',
        'spec "org.freedesktop.DBus.Properties"; zbus PropertyName',
    ),
    (
        "DBUS-E018",
        "Invalid property access value",
        "Access is one of exactly three lower-case words; anything else is rejected by GDBus and "
        "guessed at by others.",
        "`access` present and not `read`, `write` or `readwrite`.",
        'spec "Introspection Data Format"; introspect.dtd',
    ),
    (
        "DBUS-E020",
        "Invalid arg direction value",
        'Arguments go either in or out; there is no "inout" and no other spelling.',
        "`direction` present and not exactly `in` or `out`.",
        'spec "Introspection Data Format"; introspect.dtd',
    ),
    (
        "DBUS-E021",
        'Signal arg with direction="in"',
        "A signal only carries values from the emitter; an incoming signal argument does not exist and "
        "GDBus refuses the document.",
        '`direction="in"` on an arg of a signal.',
        'spec "Introspection Data Format"; gio/gdbusintrospection.c',
    ),
    (
        "DBUS-E022",
        "arg/property type is not exactly one single complete type",
        'An argument or a property holds one value, so its type must be one complete type. "" and "ii" '
        "are valid signatures but describe zero or two values.",
        "After the grammar rules (E030-E040) accept the type, it does not consist of exactly one "
        "complete type.",
        'spec "Type System" (single complete type)',
    ),
    (
        "DBUS-E030",
        "Unknown type code in signature",
        "Signatures are made of a fixed alphabet of type codes; any other character makes the "
        "signature, and every message using it, invalid.",
        "A character outside `ybnqiuxtdhsogva(){}` that is not a reserved code (E031), including "
        "spaces and non-ASCII.",
        'spec "Valid Signatures"',
    ),
    (
        "DBUS-E031",
        "Reserved type code in signature",
        "Some codes are reserved for GVariant or for internal use (m * ? @ & ^, r, e); they look "
        "plausible but are never valid on the bus.",
        "The type contains one of `m * ? @ & ^ r e`.",
        'spec "Valid Signatures"',
    ),
    (
        "DBUS-E032",
        "Array ('a') without element type",
        "An array code says what follows is the element type; without one the signature is incomplete.",
        "An `a` at the end of the type or directly before `)` or `}`.",
        'spec "Valid Signatures"',
    ),
    (
        "DBUS-E033",
        "Unbalanced or mismatched struct/dict brackets",
        "Struct and dict-entry brackets must pair up and nest properly, or the signature cannot be "
        "parsed.",
        "An unclosed `(` or `{`, a stray `)` or `}`, or a bracket closed by the other kind.",
        'spec "Valid Signatures"',
    ),
    (
        "DBUS-E034",
        'Empty struct "()"',
        "A struct needs at least one field; the specification forbids the empty struct.",
        "`(` directly followed by `)`.",
        'spec "Valid Signatures"',
    ),
    (
        "DBUS-E035",
        "Dict entry outside an array",
        "Dict entries only exist as the elements of an array (`a{..}`); alone they are invalid.",
        "A `{` that does not directly follow an `a`.",
        'spec "Container types" (DICT_ENTRY)',
    ),
    (
        "DBUS-E036",
        "Dict entry without exactly two fields",
        "A dict entry is a key and a value, no more and no less.",
        "The dict entry holds zero, one or three or more complete types.",
        'spec "Container types" (DICT_ENTRY)',
    ),
    (
        "DBUS-E037",
        "Dict key is not a basic type",
        "Keys must be comparable basic values; variants and containers cannot be keys.",
        "The first type inside `{` is not one of `ybnqiuxtdhsog`.",
        'spec "Container types" (DICT_ENTRY)',
    ),
    (
        "DBUS-E038",
        "Array nesting deeper than 32",
        "Implementations bound the nesting of arrays at 32 to keep parsing safe; deeper types are "
        "refused.",
        "More than 32 array codes along one nesting path.",
        'spec "Valid Signatures" (maximum depth)',
    ),
    (
        "DBUS-E039",
        "Struct nesting deeper than 32",
        "Struct nesting is bounded at 32 like array nesting.",
        "More than 32 `(` open at the same time.",
        'spec "Valid Signatures" (maximum depth)',
    ),
    (
        "DBUS-E040",
        "Signature longer than 255 bytes",
        "A signature travels in a length-prefixed header field of at most 255 bytes; this also limits "
        "the combined in- or out-signature of a method and the signature of a signal.",
        "A type longer than 255 bytes (checked before the grammar), or a method's joined in/out "
        "signature or a signal's signature longer than 255 bytes.",
        'spec "Valid Signatures"',
    ),
    (
        "DBUS-E050",
        "Invalid value for a well-known annotation",
        "The specification fixes the values of its annotations and tools compare them literally, so "
        '"yes" or "TRUE" quietly means false.',
        "Deprecated or Method.NoReply not `true`/`false`; Property.EmitsChangedSignal not `true`, "
        "`invalidates`, `const` or `false`.",
        'spec "Introspection Data Format" (annotations)',
    ),
    (
        "DBUS-E060",
        "Standard interface declared with non-standard members",
        "Peer, Introspectable, Properties and ObjectManager have fixed definitions; a document that "
        "redefines them with other members misleads clients and generators.",
        "A member of one of these interfaces that is not in the specification or has another "
        "signature, or any property on them. Leaving standard members out is fine.",
        'spec "Standard Interfaces"',
    ),
    (
        "DBUS-E061",
        "Reserved interface org.freedesktop.DBus.Local declared",
        "org.freedesktop.DBus.Local is used inside client libraries only; the bus disconnects a peer "
        "that sends a message with it.",
        "An interface named `org.freedesktop.DBus.Local`.",
        'spec "Message Format": header fields',
    ),
    (
        "DBUS-E062",
        "Reserved object path /org/freedesktop/DBus/Local",
        "The path is reserved like the Local interface; using it gets the sender disconnected.",
        "A node whose absolute path is `/org/freedesktop/DBus/Local`.",
        'spec "Message Format": header fields',
    ),
    (
        "DBUS-E070",
        "Invalid bus name (validator only)",
        "Bus names given to qdbusgen (the service a stub binds to) must be valid, or every call fails "
        "at run time.",
        "A well-known name that is not at least two dot-separated elements of `[A-Za-z0-9_-]` not "
        "starting with a digit, or a unique name that is not `:` and at least two elements; or longer "
        "than 255 bytes. Never reported from XML.",
        'spec "Valid Names": bus names',
    ),
    (
        "DBUS-E071",
        "Invalid error name (validator only)",
        "Error names follow the interface-name grammar; a malformed one cannot be sent in an error "
        "reply.",
        "An error name given to qdbusgen that fails the DBUS-E010/E011 checks. Never reported from XML.",
        'spec "Valid Names": error names',
    ),
    (
        "DBUS-W001",
        "Method arg without explicit direction",
        "A missing direction means `in`, which is easy to misread when the arg is meant as a return "
        "value; the DTD asks for an explicit direction on method args.",
        "An arg of a method without `direction`.",
        "introspect.dtd (comment)",
    ),
    (
        "DBUS-I002",
        'Signal arg with redundant direction="out"',
        "Signal args can only go out; the DTD asks not to spell that out.",
        '`direction="out"` on an arg of a signal.',
        "introspect.dtd (comment)",
    ),
    (
        "DBUS-W003",
        "Annotation outside the DTD positions",
        "Annotations belong on interfaces, members, properties and args. GDBus also accepts them on "
        "nodes and inside annotations, but other tools drop or reject them there.",
        "An annotation whose parent is a node or another annotation. qdbusgen's own "
        "org.qdbusgen.Lint.Suppress annotation is exempt.",
        "introspect.dtd; gio/gdbusintrospection.c",
    ),
    (
        "DBUS-W004",
        "Unknown attribute on a D-Bus element",
        "Each element has a fixed attribute set, and GDBus refuses documents with extra attributes, so "
        "a file with them cannot be loaded by GLib programs.",
        "An attribute without namespace outside the element's set (node/interface/method/signal: name; "
        "property: name, type, access; arg: name, type, direction; annotation: name, value). Namespace "
        "declarations and prefixed attributes are ignored.",
        "introspect.dtd; gio/gdbusintrospection.c",
    ),
    (
        "DBUS-W005",
        "Property name is not a valid member name",
        "Property names are only loosely specified, but names that are not identifiers (GObject-style "
        "dashes, dots) break bindings that map properties to attributes.",
        "A non-empty property name not matching `[A-Za-z_][A-Za-z0-9_]*`.",
        'spec "org.freedesktop.DBus.Properties"',
    ),
    (
        "DBUS-W006",
        "Method, signal and property share a name",
        "The wire keeps methods, signals and properties apart, but a generated class cannot have two "
        "attributes with one name, and people confuse them.",
        "One name used by members of two different kinds within one interface.",
        "qdbusgen code-generation constraint",
    ),
    (
        "DBUS-W007",
        "Duplicate arg name within one direction",
        "Arg names may repeat on the wire, but two in-args (or two out-args) with one name cannot "
        "become parameters or result fields of a generated call.",
        "Two args of a method with the same name and effective direction, or two args of a signal "
        "with the same name. An in and an out arg may share a name.",
        "spec introspection example; generator parameter naming",
    ),
    (
        "DBUS-W008",
        "Arg name is not an identifier",
        "Generators turn arg names into parameter names, which must be identifiers.",
        "An arg `name` not matching `[A-Za-z_][A-Za-z0-9_]*`. Python keywords are the generator's "
        "business and are not reported.",
        "gdbus-codegen/qdbusgen constraint",
    ),
    (
        "DBUS-W009",
        "Same annotation repeated on one element",
        "When an element carries one annotation twice, some tools use the first value and others the "
        "last.",
        "Two annotations with the same name directly on one element.",
        "general (ambiguity)",
    ),
    (
        "DBUS-W010",
        "Well-known annotation on an element where it has no meaning",
        "The specification's annotations apply to particular elements only; elsewhere they are ignored, "
        "which usually means the author expected an effect that never happens.",
        "EmitsChangedSignal outside property/interface, Method.NoReply outside method, GLib.CSymbol "
        "outside method/interface.",
        'spec "Introspection Data Format" (annotations)',
    ),
    (
        "DBUS-W011",
        "NoReply method declares out args",
        "Callers of a NoReply method do not wait for a reply, so its out values can never arrive.",
        "A method annotated Method.NoReply=true with at least one out arg.",
        'spec "Introspection Data Format" (Method.NoReply)',
    ),
    (
        "DBUS-W012",
        "Annotation name is not a dotted reverse-DNS name",
        "Annotation names are namespaced like interfaces; a bare name such as `deprecated` is "
        "recognised by no tool.",
        "An annotation name that fails the interface-name grammar.",
        "spec annotations (naming convention)",
    ),
]

_B: list[tuple[str, str, str, str, str]] = [
    (
        "GUIDE-I101",
        "Interface file should hold exactly one interface",
        "An installed interface file is what other projects depend on; with one interface per file "
        "they can depend on exactly that interface and its version.",
        "The document does not contain exactly one interface outside org.freedesktop.DBus.*, or it "
        "has child nodes. An interface-file rule: switch it off for live introspection dumps "
        "(`interface_file_rules = false`, `--no-interface-file-rules`). A document that shows "
        "itself to be a dump (its root lists org.freedesktop.DBus.Introspectable, Peer or "
        "Properties) is not judged.",
        'dbus-api-design "Interface files"',
    ),
    (
        "GUIDE-I102",
        "Interface file name should equal the interface name",
        "Interface files are installed under $(datadir)/dbus-1/interfaces and found by name: "
        "com.example.MyService1.Manager lives in com.example.MyService1.Manager.xml.",
        "A file holding exactly one non-standard interface whose base name is not `<interface "
        "name>.xml`. Not reported: a prefix ending in `_` before the full name (KDE installs "
        "`kf5_org.kde.KWallet.xml`), which namespaces the file and keeps the name whole, and "
        "introspection dumps (as for GUIDE-I101). An interface-file rule, switched off with the "
        "other one.",
        'dbus-api-design "Interface files"',
    ),
    (
        "GUIDE-W110",
        "Interface name carries no version number",
        "Incompatible changes need a new interface name, so the name should carry a major version "
        "from the first release on (com.example.MyService1, org.qemu.Display1.Console).",
        "No element after the domain (elements from the third on, or the second for two-element "
        "names) ends in a digit.",
        'dbus-api-design "API versioning"',
    ),
    (
        "GUIDE-W111",
        'Object exported at the root path "/"',
        "Objects at / cannot be versioned: signals of two versions of an interface on one shared path "
        "cannot be told apart. Use a path like /com/example/MyService1/Manager.",
        'The root node is named "/" and directly carries an interface outside org.freedesktop.DBus.*, '
        "in a document that describes a live object: the root also lists a standard "
        "org.freedesktop.DBus.* interface (Introspectable, Properties, Peer: what a dump of an "
        "exported object shows) or has child nodes. Not reported: a root without a name, and the "
        '`name="/"` placeholder of an interface file (one custom interface, nothing else), whose '
        "objects live wherever the service exports them.",
        'dbus-api-design "API versioning"',
    ),
    (
        "GUIDE-W112",
        "Object path carries no version number",
        "Object paths are versioned like interfaces, so two major versions of a service can be "
        "exported side by side.",
        "The root node has an absolute path other than / and no path element ends in a digit.",
        'dbus-api-design "API versioning"',
    ),
    (
        "GUIDE-I113",
        "Object path not under the interface namespace",
        "Paths are namespaced like the interfaces they carry: com.example.MyService1 lives under "
        "/com/example/MyService1, which keeps services from colliding on a shared bus.",
        "For a named root node (not /): the interface name up to its first versioned element, turned "
        "into a path, is neither the node path nor a prefix of it, for every versioned non-standard "
        "interface on the node.",
        'dbus-api-design "API versioning", "Naming Conventions"',
    ),
    (
        "GUIDE-I120",
        "Structured data sent as a string",
        "JSON, XML or CSV inside a string hides the structure from the type system; both sides must "
        "build and parse it by hand, which is where the bugs are.",
        "Heuristic: a string arg or property whose name (lower case, without '_') ends in json, xml, "
        "yaml or csv.",
        'dbus-api-design "Taking Advantage of the Type System"',
    ),
    (
        "GUIDE-I121",
        "Boolean argument/property - consider an enum",
        "A boolean cannot grow a third value and its meaning is not visible at the call site; an "
        "enumerated value can be extended and reads unambiguously.",
        "An arg or property of type `b`. Off by default: on real files most booleans are clear "
        "predicates (LidIsClosed, HasMessages) with nothing to enumerate, and success booleans "
        'are GUIDE-W131. Turn it on with `select = ["ALL", "GUIDE-I121"]` (every rule, and this '
        "one) to review every boolean.",
        'dbus-api-design "Taking Advantage of the Type System"',
    ),
    (
        "GUIDE-I122",
        "Human-readable string on the bus",
        "Service and client may run in different locales; send a machine-readable value and let the "
        "client produce the text.",
        "Off by default: on real files most such strings are names and labels, log lines or "
        "debugging text that nobody localises, not sentences the service composes; turn it on "
        'with `select = ["ALL", "GUIDE-I122"]`. '
        "Heuristic: a string the service sends (an out arg, a signal arg or a read-only property) "
        "whose normalised name ends in message, msg, description, label or summary. Not reported: "
        "in args and writable properties, which carry text the user or client supplies (a "
        "calendar event's description, a label the user chose, a commit message), and an out arg "
        "named like an in arg of the same method (the client's own text handed back).",
        'dbus-api-design "Taking Advantage of the Type System"',
    ),
    (
        "GUIDE-I123",
        "Parallel arrays instead of an array of structs",
        "Two arrays indexed alike (names[], emails[]) can get out of step; one array of structs, "
        "a(ss), keeps each record together.",
        "Heuristic: two named args of one direction of a method (or of a signal), each an array of "
        "one basic type (not `ay`), that look like columns of one table: their names share the "
        "first word (`pause_applications`, `pause_reasons`), they are a key/value or name/value "
        "pair, or the member's or the args' documentation says they run in step (same length, "
        "corresponding, respective, parallel). The finding names the pair. Not reported: "
        "independent lists passed together (action ids and keys, attachment paths and headers, "
        "unset and set, unlocked and locked), unnamed args, and complete lists such as argv or "
        "env.",
        'dbus-api-design "Taking Advantage of the Type System"',
    ),
    (
        "GUIDE-I125",
        "Bare variant where a concrete type would do",
        "A top-level variant throws away all type information, so neither side can rely on the "
        "shape. a{sv} dictionaries, the guidelines' extensibility tool, are fine and not reported.",
        "An arg or property of type exactly `v`. Not reported: a variant arg of a member that also "
        "carries a string arg, which names what the variant holds (`PropertyChanged(s name, v "
        "value)`, `GetProperty(id, name) -> v`, `OpenSession(algorithm, v input)`): there the type "
        "depends on the key and a variant is the right type.",
        'dbus-api-design "Taking Advantage of the Type System", "Extensibility"',
    ),
    (
        "GUIDE-I126",
        "Explicit length argument for an array",
        "D-Bus arrays carry their own length; a separate count can only disagree with it.",
        "An integer arg named n_X, num_X, X_len, X_length, X_count or X_size next to an array arg X "
        "of the same direction.",
        'dbus-api-design "Taking Advantage of the Type System"',
    ),
    (
        "GUIDE-W130",
        "Completion reported by signal instead of method reply",
        "Signals are broadcast and not tied to a call, so a caller cannot tell which completion is "
        "its own. Reply to the method when the operation has finished.",
        "Heuristic: a method M without out args and a signal named S + Finished/Completed/Complete/"
        "Done/Result/Reply/Response/Ready where S is M or M without a leading Start, Begin or "
        "Request; or a signal named just Finished, Completed, Complete or Done and exactly one "
        "method without out args (not NoReply, not Cancel/Stop/Abort/Close/Quit/Release/Dismiss/"
        "Reset) in the interface (`Install` + `Completed(result)`).",
        'dbus-api-design "Using Signals, Properties and Errors"',
    ),
    (
        "GUIDE-W131",
        "Error code returned in the reply",
        "Failures should be D-Bus error replies, so that a normal reply always means success and "
        "every binding raises the error for free.",
        "Heuristic: an out arg that reports success in a type that can only be a status: success, "
        "succeeded or ok of type `b`; error, err, error_message or error_msg of type `s` or an "
        "integer; error_code, errcode, errno, result_code, return_code, ret, retval, rc or "
        "status_code of an integer type or `b` (names in any case). Not reported: such names of "
        "other types (a `ret` string that carries a URI is data), and the boolean answer of a "
        "question (`IsUsernameValid`, `HasX`, `CanX`, `CheckX`, `ValidateX` ... returning `ok`).",
        'dbus-api-design "Using Signals, Properties and Errors"',
    ),
    (
        "GUIDE-W140",
        "Getter/setter method instead of a property",
        "The standard Properties interface already provides Get and Set (and change notification); "
        "GetFoo/SetFoo methods duplicate it without the benefits.",
        "A method Get<Upper...> or Qt-style get<Upper...> with no in args and one out arg, or "
        "Set<Upper...>/set<Upper...> with one in arg and no out args, when the interface shows "
        "that the value is state: the matching setter or getter of the same type, a change signal "
        "XChanged, or a property X (named in the message). A lone getter or setter is not "
        "reported (it may be a computed query such as GetKernelSymbols, or a callback such as "
        "SetIfindex from a plugin). Not reported either: getters whose "
        "out arg is an object path (factories and lookups such as GetClient that hand out an "
        "object), accessors of secrets (SetSecret, GetPassword: a property would broadcast the "
        "value in PropertiesChanged), methods with a file descriptor, and methods whose "
        "documentation discusses the property (NetworkMonitor's GetAvailable \"replaces the "
        'available property").',
        'dbus-api-design "Using Standard Interfaces"',
    ),
    (
        "GUIDE-W141",
        "Custom <Property>Changed signal",
        "PropertiesChanged reports changes of any property and batches them; per-property change "
        "signals duplicate it.",
        "A signal XChanged where X is a property of the same interface, or GetX is a method of it "
        "without in args and with one out arg, and the signal carries nothing but the value (no "
        "args, or one or two args of the value's type, none named reason or cause). Not reported: "
        "a GetX that takes arguments (`GetControl(device, control)` is not a property), and "
        "signals that also carry a reason or other data PropertiesChanged cannot.",
        'dbus-api-design "Using Standard Interfaces"',
    ),
    (
        "GUIDE-I142",
        "Hand-rolled object manager",
        "For a changing set of objects that clients mostly all want, the standard ObjectManager "
        "interface gives listing and added/removed notification in one place.",
        "Signals XAdded and XRemoved or XDeleted (same X) in one interface, both with an object "
        "path as first arg.",
        'dbus-api-design "Using Standard Interfaces"',
    ),
    (
        "GUIDE-W144",
        "Writable property marked EmitsChangedSignal=const",
        '"const" promises that the value never changes while the object exists; a writable property '
        "breaks that promise and clients caching it go stale.",
        "A write or readwrite property whose effective EmitsChangedSignal (its own annotation, else "
        "the interface's) is const.",
        'spec EmitsChangedSignal; dbus-api-design "Annotations"',
    ),
    (
        "GUIDE-W150",
        "Reverse-DNS domain part not lower case",
        "Names start with the author's domain reversed, which is written in lower case.",
        "The first element of the interface name (and the second, for names of three or more "
        "elements) is not `[a-z0-9_]+`.",
        'dbus-api-design "Naming Conventions"',
    ),
    (
        "GUIDE-I151",
        "Interface name elements after the domain not CamelCase",
        "After the domain, interface name elements are CamelCase words without underscores.",
        "Heuristic (assumes a two-element domain): an element from the third on not matching "
        "`[A-Z][A-Za-z0-9]*`.",
        'dbus-api-design "Naming Conventions"',
    ),
    (
        "GUIDE-W152",
        "Method/signal name not CamelCase",
        "Members are named in CamelCase (GetItems, ItemsChanged), which bindings translate to their own "
        "conventions.",
        "A valid method or signal name not matching `[A-Z][A-Za-z0-9]*`.",
        'dbus-api-design "Naming Conventions"',
    ),
    (
        "GUIDE-W153",
        "Property name not CamelCase",
        "Properties are named like members (ConnectionStatus).",
        "A property name not matching `[A-Z][A-Za-z0-9]*`.",
        'dbus-api-design "Naming Conventions"',
    ),
    (
        "GUIDE-W154",
        "Argument name not lowercase_with_underscores",
        "Arguments are the one exception to CamelCase: they are written lowercase_with_underscores.",
        "An identifier arg name not matching `[a-z][a-z0-9]*(_[a-z0-9]+)*`.",
        'dbus-api-design "Naming Conventions"',
    ),
    (
        "GUIDE-I155",
        "Type encoded in argument name (Hungarian notation)",
        "The signature already states the type; a type prefix in the name repeats it and goes wrong "
        "when the type changes.",
        "Heuristic: an arg name starting with str_, sz_, int_, bool_, arr_, dict_, obj_ ... or with a "
        "type letter before a capital (sName, bEnabled, dwFlags).",
        'dbus-api-design "Naming Conventions"',
    ),
    (
        "GUIDE-W156",
        "Unnamed argument",
        "Names are optional in the specification, but documentation refers to args by name and "
        "generated code needs parameter names.",
        "An arg of a method or signal without `name`.",
        'dbus-api-design "Naming Conventions", "Documentation"',
    ),
    (
        "GUIDE-W160",
        "Custom interface in the org.freedesktop.DBus namespace",
        "org.freedesktop.DBus.* belongs to the D-Bus specification and the bus daemon; a project must "
        "name its interfaces after its own domain.",
        "An interface org.freedesktop.DBus.X other than Peer, Introspectable, Properties, "
        "ObjectManager, Monitoring and Debug.Stats (Local is DBUS-E061; org.freedesktop.DBus itself "
        "is the bus interface).",
        'dbus-api-design "Naming Conventions"; spec "Standard Interfaces"',
    ),
    (
        "GUIDE-I161",
        "Interface under org.freedesktop.* but project is not freedesktop.org",
        "Names are based on the domain of whoever provides the service; org.freedesktop.* is for "
        "freedesktop.org projects and specifications.",
        "Only when the project sets owned prefixes (`owned_prefixes`, `--owned-prefix`): an "
        "interface under org.freedesktop. (other than org.freedesktop.DBus*) that none of them "
        "covers. Without owned prefixes the rule cannot tell freedesktop.org's own projects from "
        "others and reports nothing.",
        'dbus-api-design "Naming Conventions"',
    ),
    (
        "GUIDE-W162",
        "Interface uses the QEMU-reserved org.qemu.* prefix",
        "QEMU reserves org.qemu.* for services that QEMU itself implements and ships; other projects "
        "must not define interfaces there.",
        "An interface under org.qemu. that no configured owned prefix covers. QEMU's own files set "
        '`owned_prefixes = ["org.qemu"]`.',
        'QEMU docs/interop/dbus.rst "Guidelines"',
    ),
    (
        "GUIDE-W170",
        "Interface/method/signal/property not documented",
        "A D-Bus API is a public API and needs documentation like any C API.",
        "The element has no non-blank org.gtk.GDBus.DocString annotation, no doc:doc or tp:docstring "
        "child, and no gtk-doc comment before it whose first line is `Name:` (the full name for "
        "interfaces). When a comment stands directly before it that nearly documents it, the "
        "message says what to fix: a first line with the name but no colon, a gtk-doc comment "
        "naming another symbol (another case, a renamed member such as `OperatorId:` before "
        "OperatorIdentifier, another interface name), or plain prose (KDE's style) without the "
        "`Name:` line. Not reported in introspection dumps (the root lists "
        "org.freedesktop.DBus.Introspectable, Peer or Properties), which never carry "
        "documentation.",
        'dbus-api-design "Documentation"; gdbus-codegen (doc comments)',
    ),
    (
        "GUIDE-I171",
        "Argument not documented",
        "Each parameter deserves a description: what it means, units, allowed values.",
        "A named arg with no doc:doc/tp:docstring child and no non-blank DocString annotation, whose "
        "member's gtk-doc comment has no `@name:` line for it. Also counted as documentation: an "
        "`@name` reference in the body of the member's gtk-doc comment, a `Returns:` paragraph "
        "there for a method's only out arg, and a plain comment of two words or more directly "
        "before the arg (KDE's style; args have no gtk-doc form of their own). Not reported in "
        "introspection dumps (as for GUIDE-W170).",
        'dbus-api-design "Documentation"; gdbus-codegen',
    ),
    (
        "GUIDE-W190",
        "Possibly sensitive data in a signal",
        "Broadcast signals can be seen by every peer allowed to eavesdrop or match them; passwords and "
        "keys belong in method replies to the one caller.",
        "Heuristic: a signal arg whose normalised name contains password, passwd, passphrase, secret, "
        "token, privatekey or credential, of a type that can carry one (containing `s`, `v` or "
        "`ay`). Not reported: numbers, booleans, object paths and signatures (`dev_passwd_id` of "
        "type `q`), and args that name or count secrets: a name word such as id, name(s), type, "
        "path, hint, count or required, or documentation that calls them names or ids (`secrets` "
        "of type `as` documented as secret names).",
        'dbus-api-design "Security Policies"',
    ),
    (
        "GUIDE-I191",
        "File descriptor ('h') in a property type",
        "Not from the guidelines, derived from how fds travel: they go out-of-band with one message, "
        "so fd-valued properties do not survive Properties.GetAll or PropertiesChanged caches. Pass "
        "fds as method args or results.",
        "A property whose type contains `h`.",
        "spec UNIX_FD type; tooling behaviour (derived)",
    ),
]

_HEURISTIC = frozenset(
    {
        "GUIDE-I120",
        "GUIDE-I122",
        "GUIDE-I123",
        "GUIDE-W130",
        "GUIDE-W131",
        "GUIDE-I151",
        "GUIDE-I155",
        "GUIDE-W190",
    }
)

#: Rules that are off unless ``select`` names them (see Rule.default_enabled).
_OPT_IN = frozenset({"GUIDE-I121", "GUIDE-I122"})
#: Cases of a rule reported at another severity than its id's letter.
_SEVERITY_CASES: dict[str, tuple[tuple[str, Severity], ...]] = {
    # a bare <interface> root is accepted as if wrapped in <node>: a warning, not an error
    "DBUS-E001": (("root-interface", W),),
}
_EXAMPLE_CONFIG: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "GUIDE-I121": (("select", ("ALL", "GUIDE-I121")),),
    "GUIDE-I122": (("select", ("ALL", "GUIDE-I122")),),
    "GUIDE-I161": (("owned_prefixes", ("com.example",)),),
}

_INPUT: list[tuple[str, str, str, str]] = [
    (
        "XML-E001",
        "Input is not well-formed XML",
        "A file that is not XML cannot be turned into a model; it is reported once and nothing else "
        "is checked.",
        "The XML parser fails; the position is the parser's.",
    ),
    (
        "XML-E002",
        "Forbidden XML construct (unsafe entities)",
        "External and parameter entities read local files or the network, and nested entities "
        "can expand into gigabytes (billion laughs). Internal entities of plain text, which real "
        "files (UPower, PackageKit, fprintd) use for error names in their documentation, are "
        "read and expanded within bounds.",
        "In the DOCTYPE: an external (SYSTEM/PUBLIC) or parameter (%) entity, a parameter-entity "
        "reference, an entity whose value contains markup (or a character reference to `<` or `&`, "
        "which would become markup or a hidden reference), an entity that refers to itself, "
        "references nested deeper than 8, more than 1024 declarations, or an expansion of more "
        "than 1,048,576 characters (one entity, or all references of the document together). "
        "An entity reference left unexpanded in the tree is refused too.",
    ),
    (
        "XML-E003",
        "Input too large",
        "Introspection files are small; a huge input is refused instead of exhausting memory.",
        "The file is larger than 16 MiB.",
    ),
    (
        "XML-E004",
        "Elements nested too deeply",
        "Very deep nesting is a denial-of-service vector and never occurs in real introspection data.",
        "Element nesting deeper than 128.",
    ),
    (
        "XML-E005",
        "Input cannot be read",
        "The file does not exist, is a directory or cannot be opened.",
        "Opening or reading the file fails.",
    ),
    (
        "XML-E010",
        "Invalid conditional processing instruction",
        "QEMU-style <?if?> instructions decide which parts of the file exist; one that cannot be "
        "evaluated leaves the model undefined.",
        "An unsupported condition, an undefined variable, or unbalanced if/elseif/else/endif.",
    ),
]

#: Group C, API compatibility (old version -> new version), after dbus-deviation's comparator:
#: (id, title, rationale, detection, source). The examples are the new versions of
#: :data:`COMPAT_BASE`, ``examples/<RULE>_bad.xml`` and (when it changes the old version)
#: ``<RULE>_good.xml``; the catalog shows them as diffs (:func:`compat_diff`).
_C: list[tuple[str, str, str, str, str]] = [
    (
        "COMPAT-B001",
        "Interface removed",
        "Clients of the interface break; an incompatible successor must get a new versioned name "
        "(com.example.Sample2) while the old one stays.",
        "Interface name present in old, absent in new.",
        'dbus-deviation "interface-removed"',
    ),
    (
        "COMPAT-B002",
        "Method removed",
        "Callers get org.freedesktop.DBus.Error.UnknownMethod.",
        "Method name in old interface, absent in the same-named new interface.",
        'dbus-deviation "method-removed"',
    ),
    (
        "COMPAT-B003",
        "Signal removed",
        "Subscribers never receive it again.",
        "Signal name in old, absent in new.",
        'dbus-deviation "signal-removed"',
    ),
    (
        "COMPAT-B004",
        "Property removed",
        "Get/Set/GetAll consumers break.",
        "Property name in old, absent in new.",
        'dbus-deviation "property-removed"',
    ),
    (
        "COMPAT-B005",
        "Argument added to a method or signal",
        "The message signature changes, so old callers/receivers no longer match (D-Bus has no "
        "optional args). Add a new method instead.",
        "Args are compared by position in document order (in and out mixed, as dbus-deviation does); "
        "new list longer than old.",
        'dbus-deviation "argument-added"',
    ),
    (
        "COMPAT-B006",
        "Argument removed from a method or signal",
        "Signature change; existing callers send/expect the old signature.",
        "Positional comparison; new arg list shorter than old.",
        'dbus-deviation "argument-removed"',
    ),
    (
        "COMPAT-B007",
        "Argument type changed",
        "Signature change.",
        "Same position, different @type string (compare literally: signatures are equal iff "
        "string-equal).",
        'dbus-deviation "argument-type-changed"',
    ),
    (
        "COMPAT-B008",
        "Argument direction changed",
        "Moves a value between call and reply signatures.",
        "Same position, different effective direction (missing = in for methods, out for signals).",
        'dbus-deviation "argument-direction-changed-in-out / -out-in"',
    ),
    (
        "COMPAT-B009",
        "Property type changed",
        "Get returns a variant of a different type; typed clients break.",
        "Same property name, different @type.",
        'dbus-deviation "property-type-changed"',
    ),
    (
        "COMPAT-B010",
        "Property access changed other than widening to readwrite",
        "Readers or writers lose access (readwrite->read, readwrite->write, read<->write).",
        'Access differs and new access is not "readwrite" (widening to readwrite is COMPAT-F005).',
        'dbus-deviation "property-access-changed-(read|write|readwrite)-(read|write)"',
    ),
    (
        "COMPAT-B011",
        "Method.NoReply semantics changed",
        "Callers either wait for a reply that never comes or ignore one that now carries meaning.",
        'Effective org.freedesktop.DBus.Method.NoReply ("true" vs anything else/absent) differs '
        "between versions of a method.",
        'dbus-deviation "reply-added / reply-removed"',
    ),
    (
        "COMPAT-B012",
        "Property change notification changed incompatibly",
        "Clients relying on the old caching contract misbehave: started notifying (false/const -> "
        "true/invalidates), switched between value and invalidation (true <-> invalidates), or const "
        "-> false.",
        'Effective EmitsChangedSignal (property annotation, else interface annotation, else "true") '
        "old->new in {false,const}->{true,invalidates}, true<->invalidates, const->false.",
        'dbus-deviation "ecs-changed-* (backwards-compatibility)"',
    ),
    (
        "COMPAT-F001",
        "Interface added (compatible)",
        "Old clients are unaffected; new clients may not work against the old service.",
        "Interface name only in new.",
        'dbus-deviation "interface-added"',
    ),
    (
        "COMPAT-F002",
        "Method added (compatible)",
        "Allowed without a version bump; clients of old services must handle UnknownMethod.",
        "Method name only in new version of an interface.",
        'dbus-deviation "method-added"',
    ),
    (
        "COMPAT-F003",
        "Signal added (compatible)",
        "As F002.",
        "Signal name only in new.",
        'dbus-deviation "signal-added"',
    ),
    (
        "COMPAT-F004",
        "Property added (compatible)",
        "As F002.",
        "Property name only in new.",
        'dbus-deviation "property-added"',
    ),
    (
        "COMPAT-F005",
        "Property access widened to readwrite (compatible)",
        "Old clients keep working; new clients may try an access the old service refuses.",
        "Old access read or write, new access readwrite.",
        'dbus-deviation "property-access-changed-(read|write)-readwrite"',
    ),
    (
        "COMPAT-F006",
        "Property stopped notifying / became const (forwards-only)",
        "Old clients keep working (they re-query); clients written for the new version may miss "
        "updates on an old service.",
        "Effective EmitsChangedSignal old->new in {true,invalidates}->{false,const} or false->const.",
        'dbus-deviation "ecs-changed-* (forwards-compatibility)"',
    ),
    (
        "COMPAT-I001",
        "Argument renamed",
        "Names are not on the wire; only docs and generated parameter names change (note: "
        "keyword-argument callers of generated Python stubs do break).",
        "Same position, different @name.",
        'dbus-deviation "argument-name-changed"',
    ),
    (
        "COMPAT-I002",
        "Deprecation state changed",
        "Informational; the guideline asks for deprecations to be marked with the annotation.",
        'org.freedesktop.DBus.Deprecated == "true" differs between versions of any element '
        "(interface, member, property, arg).",
        'dbus-deviation "deprecated / undeprecated"',
    ),
    (
        "COMPAT-I003",
        "C symbol annotation changed",
        "Only affects generated C bindings.",
        'org.freedesktop.DBus.GLib.CSymbol value differs (absent = "").',
        'dbus-deviation "c-symbol-changed"',
    ),
]

#: The old version every group C example diff applies to (the catalog's fixture base).
COMPAT_BASE = """\
<node>
  <interface name="com.example.Sample1">
    <method name="Frobnicate">
      <arg name="name" type="s" direction="in"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <signal name="Changed">
      <arg name="state" type="u"/>
    </signal>
    <property name="Status" type="u" access="read"/>
  </interface>
</node>
"""


def compat_base(rule_id: str) -> str:
    """The old document of a group C rule's examples (COMPAT-B010's property is readwrite)."""
    if rule_id == "COMPAT-B010":
        return COMPAT_BASE.replace('access="read"', 'access="readwrite"')
    return COMPAT_BASE


#: The shown diff of an example that leaves the old version as it is.
COMPAT_UNCHANGED = "(identical to old)\n"


def compat_document(rule_id: str, kind: str) -> str:
    """The new version in a group C rule's ``kind`` ("bad" or "good") example: the file
    ``examples/<RULE>_<kind>.xml``; a good example without one is the old version itself."""
    path = EXAMPLES_DIR.joinpath(f"{rule_id}_{kind}.xml")
    if kind == "good" and not path.is_file():
        return compat_base(rule_id)
    return path.read_text(encoding="utf-8")


def compat_diff(old: str, new: str) -> str:
    """``new``'s changed lines against ``old``, ``-`` and ``+`` lines without hunk
    headers (how the catalog shows a group C example), or :data:`COMPAT_UNCHANGED`."""
    import difflib  # only when a catalogue page is shown

    lines = list(difflib.unified_diff(old.splitlines(True), new.splitlines(True), n=0))[2:]
    changed = "".join(line for line in lines if not line.startswith("@@"))
    return changed or COMPAT_UNCHANGED


def _compat_example(rule_id: str, kind: str) -> Example:
    return Example(compat_diff(compat_base(rule_id), compat_document(rule_id, kind)), "diff")


#: Python names (qdbusgen/naming.py): reported by ``lint`` and ``generate`` alike, errors
#: (nothing can be generated with them) except the NAME-I infos (a name qdbusgen had to
#: adjust), fixed with an org.qdbusgen.Python.Name annotation, in the XML or without
#: editing it (``--annotate`` / [tool.qdbusgen.overrides]).
_NAME: list[tuple[str, str, str, str]] = [
    (
        "NAME-E001",
        "Two members become the same Python attribute",
        "A proxy or server class cannot have two attributes with one name: one of the D-Bus "
        "members would be unreachable. qdbusgen never renames or drops one silently.",
        "After conversion (`GetDevices` → `get_devices`, property `Devices` → `get_devices`, "
        "signal `Changed` → `on_changed`/`stream_changed`/`emit_changed`), two members of one "
        "interface claim one attribute of a class that is generated. Only the generated sides "
        "count: a clash on the server class is not reported with `--no-server`. A server's "
        "emitter steps aside for a method of the same name (`emit_changed_signal`).",
    ),
    (
        "NAME-E002",
        "Two args become the same Python parameter or field",
        "A Python function cannot take two parameters with one name, nor a NamedTuple have two "
        "fields with one name.",
        "Two args of one method or signal convert to the same snake_case name "
        "(`fromX` and `from_x`).",
    ),
    (
        "NAME-E003",
        "Two interfaces become the same module or class",
        "Every module-level name of the generated package (modules, classes, constants) must be "
        "unique; an interface declared twice with different members cannot be one class.",
        "Two interfaces (or a method's result class and a signal's payload class) convert to the "
        "same module, class or constant name, or one interface name is declared twice with "
        "different members.",
    ),
    (
        "NAME-E004",
        "Unusable name override annotation",
        "An org.qdbusgen.Python.Name or org.gtk.GDBus.C.Name value that is not a usable Python "
        "identifier would produce code that does not import.",
        "The value is empty, not ASCII, not an identifier, starts with `_`, or is a keyword, "
        "builtin or name the runtime uses. The name derived from the D-Bus name is used instead.",
    ),
    (
        "NAME-E005",
        "Name with nothing usable in it",
        "A D-Bus name made only of characters that Python identifiers cannot hold leaves nothing "
        "to convert.",
        "No ASCII letter or digit is left after conversion; add an org.qdbusgen.Python.Name "
        "annotation.",
    ),
    (
        "NAME-I006",
        "Result or signal field renamed to keep a tuple method",
        "Method results with several out args and signal payloads are NamedTuples: a field "
        "called `count` or `index` would hide `tuple.count` / `tuple.index`, so it is generated "
        "as `count_` / `index_`, and `result.count` is the tuple method, not the value.",
        "An out arg of a method with two or more out args, or a signal arg, converts to `count` "
        "or `index`. Name the field with an org.qdbusgen.Python.Name annotation (`n_items`) to "
        "use a name of your choice; the D-Bus name does not change.",
    ),
    (
        "NAME-I007",
        "Member renamed to keep a method every proxy or server has",
        "Every generated proxy and server has a few public members of its own (`close`, `new`, "
        "`export`, `unexport`, `get_all`, `watch_properties`...): a D-Bus member that converts "
        "to one of them gets a trailing `_` (`Close` → `close_`), which a user would not guess.",
        "A method converts to a public member of the runtime's ProxyBase or ServerBase, or to "
        "`get_all`/`watch_properties`, or a property's getter to `get_all`. Name it with an "
        "org.qdbusgen.Python.Name annotation to pick the Python name; the D-Bus name does not "
        "change.",
    ),
]

#: Overrides (qdbusgen/overrides.py): --annotate and [tool.qdbusgen.overrides].
_OVERRIDE: list[tuple[str, str, str, str]] = [
    (
        "OVR-E001",
        "Override names an element that does not exist",
        "An override for a misspelt or vanished member would silently change nothing; the code "
        "generated would not be what the override's author expects.",
        "The interface of an `--annotate` ELEMENT or a `[tool.qdbusgen.overrides]` key is declared "
        "in no input, or it has no such method, signal, property or arg. Reported at the override "
        "(its line in pyproject.toml, or `<command line>:1:N` for the N-th `--annotate`).",
    ),
    (
        "OVR-E002",
        "Malformed override",
        "An override that cannot be understood cannot be applied.",
        "The ELEMENT is not in gdbus-codegen's syntax (`I`, `I.Method()`, `I.Method()[arg]`, "
        "`I::Signal`, `I::Signal[arg]`, `I:Property`), the KEY is not a dotted name, or an "
        "`org.qdbusgen.Type` / `org.qdbusgen.Signature` value is not a valid type for that element.",
    ),
]

#: Examples that are not documents (names given on a command line).
_TEXT_EXAMPLES: dict[str, tuple[Example, Example]] = {
    "DBUS-E070": (
        Example("com..example.Sample1\n1com.example.Sample1\n:1\n", "text"),
        Example("com.example.Sample1\ncom.example-corp.Sample1\n:1.42\n", "text"),
    ),
    "DBUS-E071": (
        Example("com.example.Sample1.Error.1Failed\nFailed\n", "text"),
        Example("com.example.Sample1.Error.Failed\n", "text"),
    ),
}
#: Rules whose examples must carry a file name (bad, good): the rule looks at it.
_EXAMPLE_FILENAMES: dict[str, tuple[str, str]] = {
    "GUIDE-I102": ("sample.xml", "com.example.Sample1.xml"),
}
#: The XML examples, one file each: ``<RULE>_bad.xml`` and ``<RULE>_good.xml``, packaged
#: with qdbusgen (what ``--explain``, SARIF help, docs/rules/ and the tests show).
EXAMPLES_DIR = resources.files("qdbusgen.lint").joinpath("examples")


def _severity_of(rule_id: str) -> Severity:
    letter = rule_id.split("-", 1)[1][0]
    return {"E": E, "W": W, "I": I}[letter]


def _examples(rule_id: str) -> tuple[Example | None, Example | None]:
    if rule_id in _TEXT_EXAMPLES:
        return _TEXT_EXAMPLES[rule_id]
    bad, good = (EXAMPLES_DIR.joinpath(f"{rule_id}_{kind}.xml") for kind in ("bad", "good"))
    if not bad.is_file():
        return None, None
    names: tuple[str | None, str | None] = _EXAMPLE_FILENAMES.get(rule_id, (None, None))
    return (
        Example(bad.read_text(encoding="utf-8"), filename=names[0]),
        Example(good.read_text(encoding="utf-8"), filename=names[1]),
    )


def _build() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for group, table in (("A", _A), ("B", _B)):
        for rule_id, title, rationale, detection, source in table:
            rules[rule_id] = Rule(
                rule_id,
                _severity_of(rule_id),
                title,
                rationale,
                detection,
                source,
                group,
                heuristic=rule_id in _HEURISTIC,
                validator_only=rule_id in ("DBUS-E070", "DBUS-E071"),
                default_enabled=rule_id not in _OPT_IN,
                example_config=_EXAMPLE_CONFIG.get(rule_id, ()),
                severity_cases=_SEVERITY_CASES.get(rule_id, ()),
            )
    for rule_id, title, rationale, detection in _INPUT:
        rules[rule_id] = Rule(rule_id, E, title, rationale, detection, "qdbusgen parser", "input")
    for rule_id, title, rationale, detection, source in _C:
        rules[rule_id] = Rule(
            rule_id,
            E if rule_id.startswith("COMPAT-B") else I,
            title,
            rationale,
            detection,
            source,
            "C",
        )
    for rule_id, title, rationale, detection in _NAME:
        severity = I if rule_id.startswith("NAME-I") else E
        rules[rule_id] = Rule(
            rule_id, severity, title, rationale, detection, "qdbusgen naming", "name"
        )
    for rule_id, title, rationale, detection in _OVERRIDE:
        rules[rule_id] = Rule(
            rule_id, E, title, rationale, detection, "qdbusgen overrides", "override"
        )
    rules[UNUSED_SUPPRESSION] = Rule(
        UNUSED_SUPPRESSION,
        W,
        "Suppression that suppresses nothing",
        "A suppression left behind after the problem was fixed (or one with a typo in the rule id) "
        "hides nothing today but would silently hide a future finding; remove or correct it.",
        "An org.qdbusgen.Lint.Suppress annotation or a `<!-- qdbusgen: ignore ... -->` comment naming a "
        "rule that reported nothing on that element, an unknown rule id, or a comment not followed by "
        "an element.",
        "qdbusgen",
        "lint",
    )
    return rules


@functools.cache
def _rule_examples(
    rule_id: str, group: str
) -> tuple[Example | None, Example | None, Example | None]:
    """(bad, good, base) of a rule, read on first use."""
    if group == "C":
        return (
            _compat_example(rule_id, "bad"),
            _compat_example(rule_id, "good"),
            Example(compat_base(rule_id)),
        )
    if group == "override":
        return None, None, None
    bad, good = _examples(rule_id)
    return bad, good, None


#: Every rule, by id, in catalog order (groups A, B, input rules, group C, then LINT-W001).
RULES: dict[str, Rule] = _build()


def get_rule(rule_id: str) -> Rule | None:
    return RULES.get(rule_id)


def matches(selector: str, rule_id: str) -> bool:
    """A selector is a full rule id or a prefix of ids ("GUIDE", "DBUS-W", "GUIDE-I1"); "ALL" is all."""
    return selector == "ALL" or rule_id.startswith(selector)


def is_valid_selector(selector: str) -> bool:
    return selector == "ALL" or any(matches(selector, rule_id) for rule_id in RULES)


#: The rules ``qdbusgen diff`` reports (group C), in catalog order.
COMPAT_RULES: tuple[str, ...] = tuple(r.id for r in RULES.values() if r.group == "C")
