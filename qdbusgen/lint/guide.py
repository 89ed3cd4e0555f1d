"""Group B of the rule catalog: the D-Bus API design guidelines, checked on the model.

Every check reads the frozen model (plus, for documentation, the comments the
:class:`~qdbusgen.lint.source.SourceIndex` found). Standard ``org.freedesktop.DBus*``
interfaces are exempt from every rule here except GUIDE-W160, which is about them.
Heuristic rules stay infos or warnings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from .. import docs
from ..diagnostics import Diagnostic
from ..model import (
    Access,
    Arg,
    Direction,
    Doc,
    Document,
    EmitsChanged,
    Interface,
    Location,
    Method,
    Property,
    Signal,
    IFACE_INTROSPECTABLE,
    IFACE_OBJECT_MANAGER,
    IFACE_PEER,
    IFACE_PROPERTIES,
    STANDARD_INTERFACES,
    STANDARD_NAMESPACE,
)
from ..naming import snake_case
from ..validate import ABSOLUTE_PATH_RE, INTERFACE_NAME_RE, MEMBER_NAME_RE
from .rules import RULES, is_standard_interface
from .source import SourceIndex

CAMEL_RE = re.compile(r"[A-Z][A-Za-z0-9]*")
DOMAIN_RE = re.compile(r"[a-z0-9_]+")
SNAKE_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
BASIC_ARRAY_RE = re.compile(r"a[ybnqiuxtdhsog]")
HUNGARIAN_RES = (
    re.compile(r"(?:str|sz|psz|int|uint|bool|dbl|arr|lst|dict|obj)_"),
    re.compile(r"(?:s|i|u|b|n|d|o|v|a|as|str|sz|psz|dw|ul|ui|ptr|p)[A-Z]"),
)
INTEGER_CODES = frozenset("ynqiuxt")
#: Array args that are complete lists on their own (a command line, an environment, search
#: terms), never one column of a table: GUIDE-I123 does not count them.
INDEPENDENT_LISTS = frozenset(
    {
        "args",
        "argv",
        "arguments",
        "arglist",
        "env",
        "envs",
        "environ",
        "environment",
        "terms",
        "previousresults",
    }
)
STRUCTURED_SUFFIXES = ("json", "xml", "yaml", "csv")
HUMAN_SUFFIXES = ("message", "msg", "description", "label", "summary")
COMPLETION_SUFFIXES = (
    "Finished",
    "Completed",
    "Complete",
    "Done",
    "Result",
    "Reply",
    "Response",
    "Ready",
)
ASYNC_PREFIXES = ("Start", "Begin", "Request")
#: Signal names that report the completion of an unnamed operation (GUIDE-W130); Response,
#: Reply or Result alone belong to request objects (portals) and are not counted.
BARE_COMPLETIONS = ("Finished", "Completed", "Complete", "Done")
#: Methods that stop or drop something: never the operation a bare Completed/Finished reports.
NOT_OPERATIONS = ("Cancel", "Stop", "Abort", "Close", "Quit", "Release", "Dismiss", "Reset")
#: Method name prefixes of questions: their boolean reply is the answer, not a status.
PREDICATE_PREFIXES = ("Is", "Has", "Can", "Check", "Validate", "Verify", "Test", "Should")
#: Column pairs that are one table when passed as two arrays (GUIDE-I123).
COLUMN_PAIRS = (("key", "value"), ("name", "value"), ("id", "value"), ("key", "val"))
#: Documentation that says two arrays run in step (GUIDE-I123).
IN_STEP_RE = re.compile(
    r"same (?:length|size|number of|order)|correspond|respective|parallel|element-wise|"
    r"\b(?:i-th|ith|n-th|nth)\b",
    re.IGNORECASE,
)
#: Documentation that says a "secret" arg holds names or ids of secrets, not secrets (GUIDE-W190).
NAMES_DOC_RE = re.compile(r"\b(?:names?|identifiers?|ids?|keys? of)\b", re.IGNORECASE)
#: Name words of args that name, count or flag a secret rather than carry it (GUIDE-W190).
NOT_SECRET_WORDS = frozenset(
    {
        "id",
        "ids",
        "name",
        "names",
        "type",
        "types",
        "kind",
        "path",
        "hint",
        "hints",
        "count",
        "len",
        "length",
        "flags",
        "required",
        "needed",
        "changed",
        "expired",
        "valid",
        "set",
    }
)
#: Out arg names that report success or failure, by the types in which they do: a boolean
#: success flag, an error string, or an integer code (GUIDE-W131). A ``ret`` string carries
#: data (a URI, a name) and is not reported.
ERROR_CODE_NAMES: dict[str, str] = {
    **dict.fromkeys(("success", "succeeded", "ok"), "b"),
    **dict.fromkeys(("error", "err", "error_message", "error_msg"), "sbynqiuxt"),
    **dict.fromkeys(
        (
            "error_code",
            "errcode",
            "errno",
            "result_code",
            "return_code",
            "ret",
            "retval",
            "rc",
            "status_code",
        ),
        "bynqiuxt",
    ),
}
SENSITIVE_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "privatekey",
    "credential",
)


@dataclass(frozen=True, slots=True)
class GuideOptions:
    owned_prefixes: tuple[str, ...] = ()


def owned(name: str, prefixes: Sequence[str]) -> bool:
    """Whether ``name`` lies under one of the owned prefixes ("org.qemu" covers org.qemu.*)."""
    for prefix in prefixes:
        p = prefix.rstrip(".")
        if p and (name == p or name.startswith(p + ".")):
            return True
    return False


def _normalise(name: str) -> str:
    return name.lower().replace("_", "")


class _Checker:
    def __init__(
        self, document: Document, index: SourceIndex | None, options: GuideOptions
    ) -> None:
        self.document = document
        self.index = index
        self.options = options
        self.out: list[Diagnostic] = []
        #: A dump of a live object (what Introspect returns), not an installed interface file:
        #: documentation and interface-file rules do not apply to it.
        self.live = _looks_live(document)

    def report(
        self, rule: str, message: str, location: Location, related: Location | None = None
    ) -> None:
        self.out.append(Diagnostic(rule, RULES[rule].severity, message, location, related))

    # ------------------------------------------------------------------ document level

    def run(self) -> list[Diagnostic]:
        self.file_rules()
        self.path_rules()
        for node in self.document.root.walk():
            for iface in node.interfaces:
                self.namespace_rules(iface)
                if is_standard_interface(iface.name):
                    continue
                self.interface(iface)
        return self.out

    def file_rules(self) -> None:
        doc = self.document
        if self.live:
            return  # an introspection dump lists every interface of an object, by nature
        custom = [i for i in doc.interfaces if not is_standard_interface(i.name)]
        root = doc.root
        if len(custom) == 0 and not self._interfaces_in_inactive_branches():
            self.report(
                "GUIDE-I101",
                "interface file declares no interface of its own (an interface file should hold exactly one)",
                root.location,
            )
        elif len(custom) > 1:
            names = ", ".join(i.name for i in custom[:4]) + (", ..." if len(custom) > 4 else "")
            self.report(
                "GUIDE-I101",
                f"interface file declares {len(custom)} interfaces ({names}); install one interface per file",
                custom[1].location,
                custom[0].location,
            )
        if root.nodes:
            self.report(
                "GUIDE-I101",
                "interface file describes child nodes; an interface file should describe one interface, not an object tree",
                root.nodes[0].location,
            )
        if len(custom) == 1:
            iface = custom[0]
            base = os.path.basename(doc.path)
            expected = iface.name + ".xml"
            # a prefix ending in "_" (KDE's kf5_org.kde.KWallet.xml) namespaces the installed
            # file and keeps the interface name whole
            if base != expected and not (base.endswith("_" + expected)):
                self.report(
                    "GUIDE-I102",
                    f"file is named {base!r}; an interface file should be named after its interface: {expected!r}",
                    iface.location,
                )

    def _interfaces_in_inactive_branches(self) -> bool:
        """The file does declare interfaces, but conditionals leave them out for these defines."""
        if self.index is None:
            return False
        return any(
            isinstance(el.tag, str) and el.tag == "interface" for el in self.index.root.iter()
        )

    def path_rules(self) -> None:
        root = self.document.root
        name = root.name
        if name is None or self.document.root_is_interface or not ABSOLUTE_PATH_RE.fullmatch(name):
            return
        custom = [i for i in root.interfaces if not is_standard_interface(i.name)]
        if name == "/":
            # In an interface file the root's name is a placeholder, not where objects live:
            # judge "/" only in what looks like a dump of a live object (it lists the
            # standard interfaces every exported object has, or child nodes).
            if custom and (self.live or root.nodes):
                self.report(
                    "GUIDE-W111",
                    f"root node is named '/', i.e. {custom[0].name} is exported at the root path; use a versioned "
                    f"path such as {_suggest_path(custom[0].name)} (in an interface file, drop the placeholder name)",
                    root.location,
                )
            return
        elements = name.strip("/").split("/")
        if not any(e[-1:].isdigit() for e in elements):
            self.report(
                "GUIDE-W112",
                f"object path {name!r} carries no version number (e.g. /com/example/MyService1/...)",
                root.location,
            )
        prefixes = [p for p in (_versioned_path(i.name) for i in custom) if p is not None]
        if prefixes and not any(name == p or name.startswith(p + "/") for p in prefixes):
            self.report(
                "GUIDE-I113",
                f"object path {name!r} is not under the namespace of its interfaces ({' or '.join(sorted(set(prefixes)))})",
                root.location,
            )

    # ------------------------------------------------------------------ names

    def namespace_rules(self, iface: Interface) -> None:
        name = iface.name
        if name.startswith(STANDARD_NAMESPACE + "."):
            if name not in STANDARD_INTERFACES:
                self.report(
                    "GUIDE-W160",
                    f"interface {name!r} is in the org.freedesktop.DBus namespace, which belongs to the D-Bus "
                    "specification; use your own reverse-DNS prefix",
                    iface.location,
                )
            return
        if is_standard_interface(name):
            return
        if (
            name.startswith("org.freedesktop.")
            and self.options.owned_prefixes  # unset, it cannot tell freedesktop.org's own files
            and not owned(name, self.options.owned_prefixes)
        ):
            self.report(
                "GUIDE-I161",
                f"interface {name!r} is under org.freedesktop.*, which is for freedesktop.org projects "
                "and not among this project's owned_prefixes (if it is one, add the prefix)",
                iface.location,
            )
        if name.startswith("org.qemu.") and not owned(name, self.options.owned_prefixes):
            self.report(
                "GUIDE-W162",
                f"interface {name!r} uses the org.qemu.* prefix, which QEMU reserves for its own services "
                '(QEMU itself sets owned_prefixes = ["org.qemu"])',
                iface.location,
            )

    def interface_name(self, iface: Interface) -> None:
        name = iface.name
        if not INTERFACE_NAME_RE.fullmatch(name):
            return
        parts = name.split(".")
        versioned = parts[2:] if len(parts) > 2 else parts[1:]
        if not any(p[-1:].isdigit() for p in versioned):
            self.report(
                "GUIDE-W110",
                f"interface name {name!r} carries no major version number (e.g. {_suggest_versioned(name)})",
                iface.location,
            )
        domain = parts[:2] if len(parts) >= 3 else parts[:1]
        bad_domain = [p for p in domain if not DOMAIN_RE.fullmatch(p)]
        if bad_domain:
            self.report(
                "GUIDE-W150",
                f"interface name {name!r}: the reversed domain ({'.'.join(domain)}) should be lower case",
                iface.location,
            )
        # All-lower-case elements before the last one are further namespace levels (a longer
        # domain such as com.google.code, or org.freedesktop.portal); only mixed-case or
        # underscored elements, and the interface's own (last) element, must be CamelCase.
        bad = [
            p
            for n, p in enumerate(parts[2:], 2)
            if not CAMEL_RE.fullmatch(p)
            and (n == len(parts) - 1 or not DOMAIN_RE.fullmatch(p) or "_" in p)
        ]
        if bad:
            self.report(
                "GUIDE-I151",
                f"interface name {name!r}: element(s) {', '.join(repr(p) for p in bad)} after the domain are not CamelCase",
                iface.location,
            )

    # ------------------------------------------------------------------ interface content

    def interface(self, iface: Interface) -> None:
        self.interface_name(iface)
        self.documented(iface.doc, iface.location, "interface", iface.name, full_name=iface.name)
        for method in iface.methods:
            self.member_name(method, "method")
            self.documented(method.doc, method.location, "method", method.name)
            self.args(method, "method")
            self.getter_setter(iface, method)
            for arg in method.out_args:
                codes = ERROR_CODE_NAMES.get(arg.name.lower()) if arg.name is not None else None
                if codes is None or len(arg.signature) != 1 or arg.signature not in codes:
                    continue
                if arg.signature == "b" and _has_prefix(method.name, PREDICATE_PREFIXES):
                    continue  # IsUsernameValid -> ok: the answer to a question, not a status
                self.report(
                    "GUIDE-W131",
                    f"out arg {arg.name!r} of method {method.name!r} looks like an error code; report failure "
                    "with a D-Bus error reply instead",
                    arg.location,
                )
        for signal in iface.signals:
            self.member_name(signal, "signal")
            self.documented(signal.doc, signal.location, "signal", signal.name)
            self.args(signal, "signal")
            for arg in signal.args:
                word = self.secret_in(arg)
                if word is not None:
                    self.report(
                        "GUIDE-W190",
                        f"signal {signal.name!r} broadcasts arg {arg.name!r}, which may be sensitive ({word}); "
                        "every peer can see signals",
                        arg.location,
                    )
        for prop in iface.properties:
            self.property(prop)
        self.completion_signals(iface)
        self.change_signals(iface)
        self.object_manager(iface)

    def member_name(self, member: Method | Signal, kind: str) -> None:
        if MEMBER_NAME_RE.fullmatch(member.name) and not CAMEL_RE.fullmatch(member.name):
            self.report(
                "GUIDE-W152",
                f"{kind} name {member.name!r} is not CamelCase (e.g. {_camel(member.name)!r})",
                member.location,
            )

    def property(self, prop: Property) -> None:
        if prop.name and not CAMEL_RE.fullmatch(prop.name):
            self.report(
                "GUIDE-W153",
                f"property name {prop.name!r} is not CamelCase (e.g. {_camel(prop.name)!r})",
                prop.location,
            )
        self.documented(prop.doc, prop.location, "property", prop.name)
        self.value_type(
            "property", prop.name, prop.signature, prop.location, prop.access is Access.READ
        )
        if (
            prop.access is not None
            and prop.access is not Access.READ
            and prop.emits_changed is EmitsChanged.CONST
        ):
            self.report(
                "GUIDE-W144",
                f"property {prop.name!r} is writable but marked EmitsChangedSignal=const (const means it never changes)",
                prop.location,
            )
        if prop.type is not None and "h" in prop.signature:
            self.report(
                "GUIDE-I191",
                f"property {prop.name!r} has type {prop.signature!r} with a file descriptor; fds do not work through "
                "Properties.Get/GetAll/PropertiesChanged, pass them as method args",
                prop.location,
            )

    def value_type(
        self,
        kind: str,
        name: str | None,
        signature: str,
        location: Location,
        from_service: bool = True,
        keyed: bool = False,
    ) -> None:
        """Type-shape rules shared by args and properties (I120, I121, I122, I125).
        ``from_service``: the value is the service's (an out or signal arg, a read-only
        property), not text a client supplies (an in arg, a writable property). ``keyed``:
        a string arg of the same member says what a variant holds (a property name, a key)."""
        what = f"{kind} {name!r}" if name is not None else f"unnamed {kind}"
        if signature == "b":
            self.report(
                "GUIDE-I121",
                f"{what} is a boolean; an enumerated value (u) can be extended and reads unambiguously",
                location,
            )
        elif signature == "v" and not keyed:
            self.report(
                "GUIDE-I125",
                f"{what} is a bare variant; use a concrete type (or a{{sv}} for extensible data)",
                location,
            )
        elif signature == "s" and name is not None:
            norm = _normalise(name)
            suffix = next((s for s in STRUCTURED_SUFFIXES if norm.endswith(s)), None)
            if suffix is not None:
                self.report(
                    "GUIDE-I120",
                    f"{what} looks like {suffix.upper()} in a string; expose the structure in the D-Bus type instead",
                    location,
                )
            human = next((s for s in HUMAN_SUFFIXES if norm.endswith(s)), None)
            if human is not None and from_service:
                self.report(
                    "GUIDE-I122",
                    f"{what} looks like human-readable text the service writes ({human}); send an "
                    "enumerated value or code and let the client write and localise the text",
                    location,
                )

    def args(self, member: Method | Signal, kind: str) -> None:
        member_el = self._element(member.location)
        comment = (
            self.index.gtkdoc_before(member_el)
            if self.index is not None and member_el is not None
            else None
        )
        for arg in member.args:
            if arg.name is None:
                self.report(
                    "GUIDE-W156", f"an arg of {kind} {member.name!r} has no name", arg.location
                )
            else:
                if MEMBER_NAME_RE.fullmatch(arg.name) and not SNAKE_RE.fullmatch(arg.name):
                    self.report(
                        "GUIDE-W154",
                        f"arg name {arg.name!r} of {kind} {member.name!r} is not lowercase_with_underscores "
                        f"(e.g. {snake_case(arg.name) or arg.name.lower()!r})",
                        arg.location,
                    )
                if _hungarian(arg.name, arg.signature):
                    self.report(
                        "GUIDE-I155",
                        f"arg name {arg.name!r} of {kind} {member.name!r} encodes its type; the signature already says it",
                        arg.location,
                    )
                if not self.live and not self.arg_documented(arg, comment, member):
                    self.report(
                        "GUIDE-I171",
                        f"arg {arg.name!r} of {kind} {member.name!r} is not documented",
                        arg.location,
                    )
            # an out arg named like an in arg hands the client's own text back (AddLabel)
            echoed = arg.name is not None and any(
                a.name == arg.name for a in member.args if a.direction is Direction.IN
            )
            self.value_type(
                "arg",
                arg.name,
                arg.signature,
                arg.location,
                arg.direction is Direction.OUT and not echoed,
                keyed=any(a is not arg and a.signature == "s" for a in member.args),
            )
        self.parallel_arrays(member, kind)
        self.length_args(member, kind)

    def parallel_arrays(self, member: Method | Signal, kind: str) -> None:
        for direction in (Direction.IN, Direction.OUT):
            # "ay" is a byte string or blob (file names, raw data), not a list of records
            arrays = [
                a
                for a in member.args
                if a.direction is direction
                and a.name is not None
                and BASIC_ARRAY_RE.fullmatch(a.signature)
                and a.signature != "ay"
                and _normalise(a.name) not in INDEPENDENT_LISTS
            ]
            pair = next(
                (
                    (a, b)
                    for i, a in enumerate(arrays)
                    for b in arrays[i + 1 :]
                    if _in_step(a, b, member.doc.text)
                ),
                None,
            )
            if pair is not None:
                first, second = pair
                where = f"{direction.value} args" if kind == "method" else "args"
                self.report(
                    "GUIDE-I123",
                    f"{kind} {member.name!r} passes {first.name!r} and {second.name!r} as parallel "
                    f"arrays ({where}); use one array of structs, e.g. "
                    f"a({first.signature[1:]}{second.signature[1:]})",
                    second.location,
                    first.location,
                )

    def length_args(self, member: Method | Signal, kind: str) -> None:
        for arg in member.args:
            if arg.name is None or arg.signature not in INTEGER_CODES or len(arg.signature) != 1:
                continue
            target = _counted_name(arg.name)
            if target is None:
                continue
            for other in member.args:
                if (
                    other is not arg
                    and other.name in target
                    and other.direction is arg.direction
                    and other.signature.startswith("a")
                ):
                    self.report(
                        "GUIDE-I126",
                        f"arg {arg.name!r} of {kind} {member.name!r} repeats the length of array {other.name!r}; "
                        "D-Bus arrays carry their length",
                        arg.location,
                        other.location,
                    )
                    break

    def getter_setter(self, iface: Interface, method: Method) -> None:
        name = method.name
        if any("h" in a.signature for a in method.args):
            return  # fds cannot be property values (see GUIDE-I191)
        accessor = _accessor(name)
        if accessor is None:
            return
        verb, prop = accessor
        value = method.args[0] if len(method.args) == 1 else None
        if value is not None and (
            _sensitive_word(name) is not None or _sensitive_word(value.name or "") is not None
        ):
            return  # a secret: a property would broadcast it in PropertiesChanged
        doc = method.doc.text.lower()
        if "propert" in doc and prop.lower() in doc:
            return  # the documentation weighs the property (GetAvailable "replaces the property")
        evidence = self.property_evidence(iface, method, verb, prop)
        if evidence is None:
            return  # a lone getter or setter may be a computed query or a callback
        if verb == "get" and not method.in_args and len(method.out_args) == 1:
            if method.out_args[0].signature == "o":
                return  # a factory or lookup that hands out an object (GetClient)
            self.report(
                "GUIDE-W140",
                f"method {name!r} is a getter ({evidence}); declare a property {prop!r} (read "
                "through org.freedesktop.DBus.Properties)",
                method.location,
            )
        elif verb == "set" and len(method.in_args) == 1 and not method.out_args:
            self.report(
                "GUIDE-W140",
                f"method {name!r} is a setter ({evidence}); declare a writable property {prop!r}",
                method.location,
            )

    def property_evidence(
        self, iface: Interface, method: Method, verb: str, prop: str
    ) -> str | None:
        """What shows that the value behind a GetX/SetX method is state (GUIDE-W140): the
        matching setter or getter of the same type, a change signal XChanged, or a property X
        of the interface; None when nothing does."""
        value = method.args[0].signature if len(method.args) == 1 else None
        for other in iface.methods:
            acc = _accessor(other.name)
            if acc is None or other is method or acc[1] != prop or acc[0] == verb:
                continue
            if len(other.args) == 1 and other.args[0].signature == value:
                return f"with {other.name!r}"
        for signal in iface.signals:
            if signal.name.lower() == (prop + "Changed").lower():
                return f"{signal.name!r} signals its changes"
        for p in iface.properties:
            if p.name.lower() == prop.lower():
                return f"property {p.name!r} exists"
        return None

    def completion_signals(self, iface: Interface) -> None:
        signals = {s.name: s for s in iface.signals}
        reported: set[str] = set()
        for method in iface.methods:
            if method.out_args:
                continue
            stems = {method.name}
            for prefix in ASYNC_PREFIXES:
                if method.name.startswith(prefix) and len(method.name) > len(prefix):
                    stems.add(method.name[len(prefix) :])
            found = next(
                (
                    signals[stem + suffix]
                    for stem in sorted(stems)
                    for suffix in COMPLETION_SUFFIXES
                    if stem + suffix in signals
                ),
                None,
            )
            if found is not None:
                reported.add(method.name)
                self.report(
                    "GUIDE-W130",
                    f"method {method.name!r} returns nothing and completion seems to be reported by signal "
                    f"{found.name!r}; reply to the method when the work is done",
                    method.location,
                    found.location,
                )
        # a bare Completed/Finished signal: the completion of the one operation that returns nothing
        bare = next((signals[n] for n in BARE_COMPLETIONS if n in signals), None)
        operations = [
            m
            for m in iface.methods
            if not m.out_args and not m.no_reply and not _has_prefix(m.name, NOT_OPERATIONS)
        ]
        if bare is not None and len(operations) == 1 and operations[0].name not in reported:
            method = operations[0]
            self.report(
                "GUIDE-W130",
                f"method {method.name!r} returns nothing and completion seems to be reported by signal "
                f"{bare.name!r}; reply to the method when the work is done",
                method.location,
                bare.location,
            )

    def change_signals(self, iface: Interface) -> None:
        props = {p.name: p.signature for p in iface.properties}
        # only getters without in args stand for a property (GetControl(device, control) does not)
        getters = {
            m.name[3:]: m.out_args[0].signature
            for m in iface.methods
            if m.name.startswith("Get") and not m.in_args and len(m.out_args) == 1
        }
        for signal in iface.signals:
            if signal.name.endswith("Changed") and len(signal.name) > len("Changed"):
                stem = signal.name[: -len("Changed")]
                value_type = props.get(stem, getters.get(stem))
                if value_type is None:
                    continue
                # a signal that carries more than the value (old and new at most) -- a reason,
                # the object concerned -- tells what PropertiesChanged cannot
                if len(signal.args) > 2 or any(
                    a.signature != value_type or _words(a.name or "") & {"reason", "cause"}
                    for a in signal.args
                ):
                    continue
                what = f"property {stem!r}" if stem in props else f"getter 'Get{stem}'"
                self.report(
                    "GUIDE-W141",
                    f"signal {signal.name!r} duplicates PropertiesChanged for {what}",
                    signal.location,
                )

    def object_manager(self, iface: Interface) -> None:
        signals = {s.name: s for s in iface.signals}
        for signal in iface.signals:
            if not signal.name.endswith("Added") or len(signal.name) == len("Added"):
                continue
            stem = signal.name[: -len("Added")]
            removed = signals.get(stem + "Removed") or signals.get(stem + "Deleted")
            if removed is None:
                continue
            if (
                signal.args
                and removed.args
                and signal.args[0].signature == "o"
                and removed.args[0].signature == "o"
            ):
                self.report(
                    "GUIDE-I142",
                    f"signals {signal.name!r}/{removed.name!r} hand-roll an object manager; consider "
                    f"{IFACE_OBJECT_MANAGER}",
                    signal.location,
                    removed.location,
                )

    # ------------------------------------------------------------------ documentation

    def _element(self, location: Location) -> etree._Element | None:
        if self.index is None:
            return None
        return self.index.element_of(location)

    def documented(
        self, doc: Doc, location: Location, kind: str, name: str, full_name: str | None = None
    ) -> None:
        if doc or self.live:
            return  # dumps of live objects carry no documentation by nature
        el = self._element(location)
        if el is not None and self.index is not None:
            if self.index.has_doc_element(el) or self.index.gtkdoc_before(el) is not None:
                return
        expected = full_name if full_name is not None else name
        problem = None
        if el is not None and self.index is not None:
            text = self.index.comment_before(el)
            if text is not None:
                problem = _comment_problem(text, expected)
        if problem is not None:
            self.report("GUIDE-W170", f"{kind} {name!r} is not documented: {problem}", location)
        else:
            self.report("GUIDE-W170", f"{kind} {name!r} is not documented", location)

    def secret_in(self, arg: Arg) -> str | None:
        """The sensitive word in a signal arg that may carry a secret (GUIDE-W190), or None:
        integers, booleans, object paths and signatures cannot carry one, and args that
        name, count or flag secrets (their name or documentation says so) do not."""
        if arg.name is None or not _can_carry_text(arg.signature):
            return None
        word = _sensitive_word(arg.name)
        if word is None or _words(arg.name) & NOT_SECRET_WORDS:
            return None
        if NAMES_DOC_RE.search(arg.doc.text):
            return None
        return word

    def arg_documented(
        self, arg: Arg, comment: docs.GtkDocComment | None, member: Method | Signal
    ) -> bool:
        if arg.doc:
            return True
        if comment is not None and arg.name is not None:
            if arg.name in comment.params:
                return True
            if re.search(r"@" + re.escape(arg.name) + r"\b", comment.body):
                return True  # the body describes it (@results ...)
            outs = [a for a in member.args if a.direction is Direction.OUT]
            if (
                isinstance(member, Method)
                and outs == [arg]
                and re.search(r"^\s*Returns:", comment.body, re.MULTILINE)
            ):
                return True  # "Returns:" documents the one out arg
        el = self._element(arg.location)
        if el is None or self.index is None:
            return False
        if self.index.has_doc_element(el):
            return True
        # KDE style: a plain comment directly before the arg describes it
        text = self.index.comment_before(el)
        return (
            text is not None
            and not _COMMENTED_OUT_RE.search(text)
            and not text.strip().startswith(("qdbusgen:", "<"))
            and len(text.split()) >= 2
        )


#: Standard interfaces that an introspection dump of an exported object lists and an
#: interface file leaves out.
LIVE_MARKERS = frozenset({IFACE_INTROSPECTABLE, IFACE_PEER, IFACE_PROPERTIES})


def _looks_live(document: Document) -> bool:
    """Whether the document is a dump of a live object: its root lists Introspectable, Peer
    or Properties (as Introspect replies do; interface files leave them out)."""
    if document.root_is_interface:
        return False
    return any(i.name in LIVE_MARKERS for i in document.root.interfaces)


#: Commented-out introspection XML (``<method name="...">``, ``method name="..."``).
_COMMENTED_OUT_RE = re.compile(
    r"\b(?:node|interface|method|signal|property|arg|annotation)\s+(?:name|type)\s*="
)


def _comment_problem(text: str, symbol: str) -> str | None:
    """What keeps the comment directly before an element from documenting it (GUIDE-W170),
    or None when it is no attempt at documentation (commented-out XML, a suppression, a
    short section heading such as "Signals")."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines or lines[0].startswith(("qdbusgen:", "<")) or _COMMENTED_OUT_RE.search(text):
        return None  # a suppression, or commented-out XML
    first = lines[0]
    parsed = docs.parse_gtkdoc_comment(text)
    if parsed is not None and parsed.symbol == symbol:
        return None
    if parsed is not None and _same_symbol(parsed.symbol, symbol):
        return (
            f"the gtk-doc comment before it documents {parsed.symbol!r}; its first line must "
            f"be '{symbol}:'"
        )
    if (
        first == symbol
        or first.startswith((symbol + " ", symbol + "\t"))
        or first
        in (
            symbol + ";",
            symbol + ".",
        )
    ):
        return (
            f"the comment before it is not read as gtk-doc: put a colon after the name "
            f"('{symbol}:' on the first line)"
        )
    if len(" ".join(lines).split()) >= 4:
        return (
            "the comment before it is not in gtk-doc form, so no tool reads it as documentation: "
            f"start it with a line '{symbol}:'"
        )
    return None


def _same_symbol(written: str, symbol: str) -> bool:
    """Whether a gtk-doc symbol was meant for ``symbol``: the same name in another case, or,
    for interfaces, another dotted interface name (a rename or a copy that kept the old name)."""
    if written.lower() == symbol.lower():
        return True
    if "." in symbol:
        return written.count(".") >= 2 and INTERFACE_NAME_RE.fullmatch(written) is not None
    # a member renamed after its comment was written (OperatorId for OperatorIdentifier)
    return (
        MEMBER_NAME_RE.fullmatch(written) is not None
        and len(written) >= 4
        and (symbol.startswith(written) or written.startswith(symbol))
    )


def _word_list(name: str) -> list[str]:
    """The lower-case words of a snake_case, CamelCase or lowerCamel name."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w.lower() for w in re.split(r"[\s_\-.]+", spaced) if w]


def _words(name: str) -> set[str]:
    return set(_word_list(name))


def _has_prefix(name: str, prefixes: Sequence[str]) -> bool:
    """``IsValid``, ``isValid`` or ``is_valid`` for the prefix ``Is``."""
    for prefix in prefixes:
        n = len(prefix)
        if name == prefix or name.lower() == prefix.lower():
            return True
        if name[:n].lower() == prefix.lower() and len(name) > n:
            nxt = name[n]
            if nxt.isupper() or nxt.isdigit() or (nxt == "_" and name[:n].islower()):
                return True
    return False


def _accessor(name: str) -> tuple[str, str] | None:
    """("get" or "set", property name) for GetFoo/SetFoo and Qt-style getFoo/setFoo."""
    for verb in ("Get", "Set", "get", "set"):
        if name.startswith(verb) and len(name) > 3 and name[3].isupper():
            return verb.lower(), name[3:]
    return None


def _sensitive_word(name: str) -> str | None:
    norm = _normalise(name)
    return next((w for w in SENSITIVE_WORDS if w in norm), None)


def _can_carry_text(signature: str) -> bool:
    """Whether a value of this type can hold a secret: strings, bytes, variants."""
    return "s" in signature or "v" in signature or "ay" in signature


def _in_step(a: Arg, b: Arg, member_doc: str) -> bool:
    """Whether two array args look like columns of one table (GUIDE-I123): names that share
    their first word (pause_applications, pause_reasons), a key/value pair, or documentation
    that says they run in step."""
    wa, wb = _word_list(a.name or ""), _word_list(b.name or "")
    if len(wa) > 1 and len(wb) > 1 and wa[0] == wb[0] and wa[1:] != wb[1:]:
        return True
    last = {w[-1].rstrip("s") for w in (wa, wb) if w}
    if any(last == set(p) for p in COLUMN_PAIRS):
        return True
    return any(IN_STEP_RE.search(text) for text in (member_doc, a.doc.text, b.doc.text))


#: Single-letter type prefixes and the D-Bus types they would stand for.
_LETTER_TYPES = {
    "s": "sog",
    "i": "nix",
    "u": "yqut",
    "n": "ynqiuxt",
    "b": "b",
    "d": "d",
    "o": "o",
    "v": "v",
}


def _hungarian(name: str, signature: str) -> bool:
    """Hungarian notation: str_name, dwFlags, or a type letter matching the arg's type (sName: s)."""
    if HUNGARIAN_RES[0].match(name):
        return True
    m = HUNGARIAN_RES[1].match(name)
    if m is None:
        return False
    prefix = name[: m.end() - 1]
    if prefix in _LETTER_TYPES:
        # "vCard" of type s is a word, not a variant: require the letter to fit the type
        return bool(signature) and signature[0] in _LETTER_TYPES[prefix]
    if prefix in ("a", "as"):
        return signature.startswith("a")
    return True


def _counted_name(name: str) -> tuple[str, ...] | None:
    """The array names an integer arg called ``name`` could be the length of."""
    for prefix in ("n_", "num_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return (name[len(prefix) :],)
    for suffix in ("_len", "_length", "_count", "_size"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return (name[: -len(suffix)],)
    return None


def _versioned_path(interface: str) -> str | None:
    parts = interface.split(".")
    for i, part in enumerate(parts):
        if i >= 1 and part[-1:].isdigit():
            return "/" + "/".join(parts[: i + 1])
    return None


def _suggest_versioned(name: str) -> str:
    parts = name.split(".")
    if len(parts) > 2:
        parts[2] = parts[2] + "1"
    else:
        parts[-1] = parts[-1] + "1"
    return ".".join(parts)


def _suggest_path(interface: str) -> str:
    versioned = _versioned_path(interface)
    return (
        versioned
        if versioned is not None
        else "/" + "/".join(_suggest_versioned(interface).split(".")[:3])
    )


def _camel(name: str) -> str:
    words = re.split(r"[_\-.]+", name)
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def check_document(
    document: Document, index: SourceIndex | None = None, options: GuideOptions = GuideOptions()
) -> list[Diagnostic]:
    """All group B findings of one document (before configuration and suppressions)."""
    return _Checker(document, index, options).run()


__all__ = ["GuideOptions", "check_document", "owned"]
