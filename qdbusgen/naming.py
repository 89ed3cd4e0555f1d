"""The one place where D-Bus names become Python names and D-Bus types become annotations.

Everything the templates print as a Python identifier or a type comes from here,
ready to use: :func:`build_names` returns a :class:`Names` tree (one
:class:`InterfaceNames` per interface, holding :class:`MethodNames`,
:class:`PropertyNames`, :class:`SignalNames` and :class:`ArgNames`) and the
diagnostics for every name that could not be assigned.

Word splitting
    :func:`split_words` cuts a name at ``_``, at any character that is not an
    ASCII letter or digit (``-``, ``.``, spaces, non-ASCII: they are replaced),
    at lower→Upper steps and before the last capital of an acronym run that is
    followed by a lower-case word (``HTTPServer`` → ``HTTP`` ``Server``).  An
    acronym followed by a plural ``s`` keeps it (``ConsoleIDs`` → ``Console``
    ``IDs``).  Digits stay with the word before them, and so do lower-case
    letters right after those digits (``ScanoutDMABUF2``, ``Texture2d``,
    ``D3d11``).  ``DBus`` and ``UInt`` are one word each, as gdbus-codegen has
    them (``EchoUInt16`` → ``echo_uint16``, ``DBusName`` → ``dbus_name``, the
    interface ``org.freedesktop.DBus`` → module ``dbus``).  :func:`snake_case` lower-cases the words and joins them with
    ``_``; :func:`pascal_case` upper-cases the first letter of each word and keeps
    the rest as written (``Listener.Unix.Map`` → ``ListenerUnixMap``,
    ``VMState1`` stays ``VMState1``).

Safety
    A name that is a keyword, a soft keyword, a builtin (:data:`BUILTINS`, a fixed
    list: the output never depends on the running interpreter), an attribute of
    ``object`` or of the runtime base classes (:data:`RUNTIME_MEMBERS`, read with
    :mod:`ast` from the ``qdbusgen_runtime`` modules) gets a trailing ``_`` (``class`` →
    ``class_``, ``type`` → ``type_``, ``match`` → ``match_``, ``export`` →
    ``export_``; a member renamed away from a runtime member or the generated
    ``get_all`` / ``watch_properties`` is reported as ``NAME-I007``, an info).
    Parameters and NamedTuple fields also avoid ``self``, ``cls``, ``count`` and
    ``index`` (a result or signal field that becomes ``count_`` or ``index_`` is
    reported as ``NAME-I006``, an info: ``res.count`` stays ``tuple.count``).
    Generated public names never start with ``_``
    (leading underscores are dropped: every ``_``-name belongs to the templates
    and the runtime, so template locals and private helpers can't clash); a
    name that would start with a digit gets an ``n`` prefix (``N`` for classes).
    Nothing is ever numbered to dodge a clash.

Overrides, strongest first
    1. ``org.qdbusgen.Python.Name`` (:data:`~qdbusgen.model.ANN_PYTHON_NAME`) on an
       interface (the class base name), method (the method name), property or
       signal (the stem below) or arg (the parameter/field name): used verbatim.
       It must be an ASCII identifier without a leading ``_``; where it is used
       verbatim it must not be reserved either.  Otherwise ``NAME-E004`` and the
       derived name is used.
    2. ``org.gtk.GDBus.C.Name`` (:data:`~qdbusgen.model.ANN_GDBUS_C_NAME`), on an
       interface, method, property or signal (where gdbus-codegen honours it): the
       CamelCase value is pascal_cased (interfaces, no prefix stripping) or
       snake_cased (members) like a D-Bus name.
    3. The D-Bus name.

The scheme (``<Base>`` = class base, ``<stem>`` = snake_case member, ``<Pascal>`` =
pascal_case member)
    =====================  =====================================================
    class base ``<Base>``  pascal_case of the interface name minus the common
                           dotted prefix of all interfaces in the run (only the
                           last component of a lone interface): ``org.qemu.VMState1``
                           → ``VMState1``; ``org.qemu.Display1.Listener.Unix.Map``
                           → ``ListenerUnixMap`` next to its siblings.
                           ``interface_prefix=`` replaces the computed prefix.
    module                 ``snake_case(<Base>)`` (``vm_state1``); also avoids the
                           runtime's ``__all__`` (the package ``__init__``
                           re-exports it next to the modules).
    proxy / server class   ``<Base>Proxy`` / ``<Base>Server``
    interface constant     ``<BASE_SNAKE_UPPER>_INTERFACE`` (``VM_STATE1_INTERFACE``)
    method                 ``snake_case(name)`` on proxy and server alike
    method result tuple    ``<Base><Pascal>Result``, only with ≥ 2 out args
    property accessors     ``get_<stem>`` (readable), ``set_<stem>`` (writable) on
                           proxy and server; ``notify_<stem>`` on the server when
                           EmitsChangedSignal is true or invalidates and the
                           property is readable (a write-only value is never
                           broadcast)
    signal                 proxy ``on_<stem>`` (callback subscription) and
                           ``stream_<stem>`` (async stream); server ``emit_<stem>``,
                           or ``emit_<stem>_signal`` when a method of the same
                           interface is called ``emit_<stem>`` (a method
                           ``EmitChanged`` next to a signal ``Changed``: the method
                           keeps its name on proxy and server alike); payload
                           NamedTuple ``<Base><Pascal>Signal`` (always)
    properties watcher     proxy ``watch_properties`` with the TypedDict
                           ``<Base>PropertiesChanged``, when some property emits
                           PropertiesChanged (true or invalidates)
    all properties         proxy ``get_all`` returning the TypedDict
                           ``<Base>Properties`` (every readable property), when
                           some property is readable
    args                   ``snake_case(name)``; unnamed (or nothing usable left)
                           → ``arg<N>``, N = position among the method's in args,
                           its out args, or the signal's args
    =====================  =====================================================

    Result and signal classes carry the class base so that every module-level
    name is unique in the whole package (the package ``__init__`` re-exports them).

Collisions
    Two names that land in one namespace are an ERROR naming both D-Bus elements
    and both positions (``location`` = the later one, ``related`` = the earlier):
    ``NAME-E001`` class attributes (proxy or server, derived accessors included),
    ``NAME-E002`` parameters and NamedTuple fields, ``NAME-E003`` module-level and
    package-level names (classes, constants, modules) and interfaces declared
    twice with different members, ``NAME-E004`` an unusable override annotation,
    ``NAME-E005`` a member or interface name with nothing usable in it.
    Interfaces with the same D-Bus name and the same members (one interface on
    many objects) are one interface.  Only the classes being generated are checked
    (``client=False``: no proxy names; ``server=False``: no server names), and every
    message names the ``org.qdbusgen.Python.Name`` annotation that resolves it.

Types
    :func:`python_type` renders a :class:`~qdbusgen.signature.DBusType` for a
    module that does ``import typing as _t`` and imports the runtime as ``_rt``.
    Received values are concrete (``list``, ``dict``, ``tuple``, ``bytes``); sent
    values accept the abstract forms (``_t.Sequence``, ``_t.Mapping``,
    ``bytes | bytearray``), which dbus-fast 5.2's marshaller takes as they are.
    ``memoryview`` is not offered: the marshaller writes ``len(view)`` (items,
    not bytes) as the array length, so a non-byte view would be mis-framed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .diagnostics import Diagnostic, Severity, where_related
from .resources import cache_file, runtime_dir, runtime_source, write_cache_file
from .model import (
    ANN_GDBUS_C_NAME,
    ANN_PYTHON_NAME,
    Annotation,
    Arg,
    EmitsChanged,
    Interface,
    Location,
    Method,
    Property,
    Signal,
    annotation_value,
)
from .signature import ArrayType, BasicType, DBusType, DictType, StructType, VariantType

__all__ = [
    "ARG_RESERVED",
    "BUILTINS",
    "KEYWORDS",
    "MEMBER_RESERVED",
    "MODULE_RESERVED",
    "OBJECT_MANAGER_MODULE",
    "OBJECT_MANAGER_NAMES",
    "OVERRIDE_HINT",
    "OBJECT_ATTRIBUTES",
    "RECEIVED_BASIC_TYPES",
    "RULE_BAD_OVERRIDE",
    "RULE_CLASS_COLLISION",
    "RULE_MEMBER_COLLISION",
    "RULE_NO_NAME",
    "RULE_PARAM_COLLISION",
    "RULE_TUPLE_FIELD",
    "RULE_RUNTIME_MEMBER",
    "RUNTIME_EXPORTS",
    "RUNTIME_MEMBERS",
    "SOFT_KEYWORDS",
    "WATCH_PROPERTIES",
    "GET_ALL",
    "ArgNames",
    "InterfaceNames",
    "MethodNames",
    "Names",
    "PropertyNames",
    "PyName",
    "RuntimeNames",
    "SignalNames",
    "build_names",
    "common_interface_prefix",
    "describe",
    "pascal_case",
    "python_type",
    "runtime_names_from_source",
    "safe_name",
    "snake_case",
    "split_words",
]

RULE_MEMBER_COLLISION = "NAME-E001"
RULE_PARAM_COLLISION = "NAME-E002"
RULE_CLASS_COLLISION = "NAME-E003"
RULE_BAD_OVERRIDE = "NAME-E004"
RULE_NO_NAME = "NAME-E005"
RULE_TUPLE_FIELD = "NAME-I006"
RULE_RUNTIME_MEMBER = "NAME-I007"

#: How a name problem is fixed, named in every collision message.
OVERRIDE_HINT = (
    f"rename one with an {ANN_PYTHON_NAME} annotation "
    "(--annotate adds one without editing the XML)"
)


class PyName(str):
    """A str that went through this module: a valid, non-reserved Python identifier."""

    __slots__ = ()


# --------------------------------------------------------------------------- reserved words

#: ``keyword.kwlist`` (identical in Python 3.10-3.13), fixed here so output never
#: depends on the interpreter; tests/test_naming.py checks it covers the running one.
KEYWORDS: frozenset[str] = frozenset(
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try "
    "while with yield".split()
)
#: ``keyword.softkwlist`` of 3.12+ (3.11 lacks ``type``).
SOFT_KEYWORDS: frozenset[str] = frozenset({"_", "case", "match", "type"})
#: The public part of ``dir(builtins)``: the union over Python 3.10-3.13.  Names with
#: a leading ``_`` are left out because no generated public name starts with ``_``.
BUILTINS: frozenset[str] = frozenset(
    "ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup "
    "BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError "
    "ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError "
    "DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception "
    "ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError FutureWarning "
    "GeneratorExit IOError ImportError ImportWarning IndentationError IndexError "
    "InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError "
    "ModuleNotFoundError NameError None NotADirectoryError NotImplemented NotImplementedError "
    "OSError OverflowError PendingDeprecationWarning PermissionError ProcessLookupError "
    "PythonFinalizationError RecursionError ReferenceError ResourceWarning RuntimeError "
    "RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError "
    "SystemExit TabError TimeoutError True TypeError UnboundLocalError UnicodeDecodeError "
    "UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning "
    "ValueError Warning ZeroDivisionError abs aiter all anext any ascii bin bool breakpoint "
    "bytearray bytes callable chr classmethod compile complex copyright credits delattr dict "
    "dir divmod enumerate eval exec exit filter float format frozenset getattr globals "
    "hasattr hash help hex id input int isinstance issubclass iter len license list locals "
    "map max memoryview min next object oct open ord pow print property quit range repr "
    "reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip".split()
)
#: ``dir(object)`` (3.11+).
OBJECT_ATTRIBUTES: frozenset[str] = frozenset(
    "__class__ __delattr__ __dir__ __doc__ __eq__ __format__ __ge__ __getattribute__ "
    "__getstate__ __gt__ __hash__ __init__ __init_subclass__ __le__ __lt__ __ne__ __new__ "
    "__reduce__ __reduce_ex__ __repr__ __setattr__ __sizeof__ __str__ __subclasshook__".split()
)
#: Extra names parameters and NamedTuple fields must avoid (``count``/``index`` are
#: tuple methods a NamedTuple field would shadow).
_ARG_EXTRA: frozenset[str] = frozenset({"self", "cls", "count", "index"})

# --------------------------------------------------------------------------- runtime names

#: Public attributes of base classes the runtime may inherit from outside its file.
_KNOWN_EXTERNAL_BASES: dict[str, frozenset[str]] = {
    "object": frozenset(),
    "ABC": frozenset(),
    "Generic": frozenset(),
    "Protocol": frozenset(),
    # dbus_fast.service.ServiceInterface (5.2): public class and instance attributes.
    "ServiceInterface": frozenset({"emit_properties_changed", "introspect", "name"}),
}
_RUNTIME_ROOTS = ("ProxyBase", "ServerBase")


@dataclass(frozen=True, slots=True)
class RuntimeNames:
    #: Every name defined in the class bodies of the roots and of their in-file bases
    #: (methods, class attributes, ``__slots__``, ``self.x = ...`` in methods), known
    #: external bases' attributes.
    members: frozenset[str]
    #: The module's ``__all__``.
    exports: frozenset[str]
    #: False when a root class was not found, a base came from an unknown module, or
    #: ``__all__`` was not a literal: the caller then adds the fallback lists.
    complete: bool


def _str_literals(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name):
        if node.func.id in ("frozenset", "set", "tuple", "list"):
            return _str_literals(node.args[0])
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out: list[str] = []
        for elt in node.elts:
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                return None
            out.append(elt.value)
        return out
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    return None


def _target_names(target: ast.expr, out: set[str]) -> None:
    if isinstance(target, ast.Name):
        out.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            _target_names(elt, out)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, out)


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _class_body_names(cls: ast.ClassDef) -> set[str]:
    names: set[str] = set()

    def body(stmts: Iterable[ast.stmt]) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(stmt.name)
                for sub in ast.walk(stmt):
                    targets: list[ast.expr] = []
                    if isinstance(sub, ast.Assign):
                        targets = list(sub.targets)
                    elif isinstance(sub, (ast.AnnAssign, ast.AugAssign)):
                        targets = [sub.target]
                    for t in targets:
                        for node in ast.walk(t):
                            if (
                                isinstance(node, ast.Attribute)
                                and isinstance(node.value, ast.Name)
                                and node.value.id == "self"
                            ):
                                names.add(node.attr)
            elif isinstance(stmt, ast.ClassDef):
                names.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    _target_names(t, names)
                    if isinstance(t, ast.Name) and t.id == "__slots__":
                        names.update(_str_literals(stmt.value) or ())
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
                _target_names(stmt.target, names)
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    if stmt.target.id == "__slots__" and stmt.value is not None:
                        names.update(_str_literals(stmt.value) or ())
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    names.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for part in ("body", "orelse", "finalbody"):
                    body(getattr(stmt, part, ()))
                for handler in getattr(stmt, "handlers", ()):
                    body(handler.body)

    body(cls.body)
    return names


def runtime_names_from_source(source: str) -> RuntimeNames:
    """Read the names the runtime base classes define, without importing the runtime."""
    tree = ast.parse(source)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    members: set[str] = set()
    complete = True
    exports: set[str] = set()
    found_all = False
    for stmt in tree.body:
        value: ast.expr | None = None
        target: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        if not isinstance(target, ast.Name) or value is None:
            continue
        if target.id == "__all__":
            literal = _str_literals(value)
            if literal is not None:
                exports.update(literal)
                found_all = True
    if not found_all:
        complete = False
    seen: set[str] = set()
    todo = list(_RUNTIME_ROOTS)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        cls = classes.get(name)
        if cls is None:
            if name in _KNOWN_EXTERNAL_BASES:
                members.update(_KNOWN_EXTERNAL_BASES[name])
            else:
                complete = False
            continue
        members.update(_class_body_names(cls))
        for base in cls.bases:
            base_name = _base_name(base)
            if base_name is None:
                complete = False
            else:
                todo.append(base_name)
    return RuntimeNames(frozenset(members), frozenset(exports), complete)


#: The reserved-name table computed from the runtime ahead of time and shipped with
#: qdbusgen (``scripts/regen_examples.py`` writes it, tests/test_generated_examples.py checks
#: that it is fresh). It is used only when its key, the hash of this module's code and of
#: the runtime's source, matches; otherwise the names are read from the source again.
SHIPPED_RUNTIME_NAMES: Path = Path(__file__).with_name("runtime_names.json")


def _runtime_key(source: str) -> str:
    # keyed by the runtime and by this module (whose code does the extraction)
    return Path(__file__).read_text(encoding="utf-8") + "\0" + source


def shipped_runtime_names(source: str) -> str:
    """The content of :data:`SHIPPED_RUNTIME_NAMES` for the runtime ``source``."""
    names = runtime_names_from_source(source)
    key = hashlib.sha256(_runtime_key(source).encode("utf-8")).hexdigest()
    data = {"key": key, "members": sorted(names.members), "exports": sorted(names.exports)}
    return json.dumps(data, indent=1) + "\n"


def _read_names(path: Path | None, key: str | None = None) -> RuntimeNames | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if key is not None and data.get("key") != key:
            return None
        return RuntimeNames(frozenset(data["members"]), frozenset(data["exports"]), True)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _load_runtime() -> RuntimeNames:
    """The runtime's names: from the shipped table when it is fresh, else from the source
    (parsing the runtime costs ~35 ms, so the result is then kept in qdbusgen's cache
    directory, keyed by the source's hash)."""
    source = runtime_source()
    key = _runtime_key(source)
    shipped = _read_names(SHIPPED_RUNTIME_NAMES, hashlib.sha256(key.encode("utf-8")).hexdigest())
    if shipped is not None:
        return shipped
    cache = cache_file("runtime-names", key)
    cached = _read_names(cache)
    if cached is not None:
        return cached
    names = runtime_names_from_source(source)
    if not names.complete:
        raise RuntimeError(
            f"{runtime_dir()}: cannot read every base-class member of the runtime; "
            "the reserved-name table would be incomplete (a qdbusgen bug)"
        )
    if cache is not None:
        write_cache_file(
            cache, json.dumps({"members": sorted(names.members), "exports": sorted(names.exports)})
        )
    return names


_RUNTIME = _load_runtime()
#: Names generated class members must avoid because the runtime base classes use them.
RUNTIME_MEMBERS: frozenset[str] = _RUNTIME.members
#: The runtime's ``__all__``, re-exported by the package ``__init__`` next to the modules.
RUNTIME_EXPORTS: frozenset[str] = _RUNTIME.exports

_PYTHON_RESERVED = KEYWORDS | SOFT_KEYWORDS | BUILTINS
#: Class attributes (methods, accessors) of generated proxies and servers.
MEMBER_RESERVED: frozenset[str] = _PYTHON_RESERVED | OBJECT_ATTRIBUTES | RUNTIME_MEMBERS
#: Parameters and NamedTuple fields.
ARG_RESERVED: frozenset[str] = _PYTHON_RESERVED | _ARG_EXTRA
#: Module names of the generated package.
MODULE_RESERVED: frozenset[str] = _PYTHON_RESERVED | RUNTIME_EXPORTS

#: The proxy's properties watcher; reserved on proxies that have it.
WATCH_PROPERTIES = "watch_properties"
#: The proxy's typed ``Properties.GetAll``; reserved on proxies with readable properties.
GET_ALL = "get_all"

# --------------------------------------------------------------------------- case conversion

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_WORD = re.compile(
    r"(?:DBus|UInt)(?![a-z])"  # one word each, as gdbus-codegen has them: dbus, uint16
    r"|[A-Z]{2,}s(?![a-z])"  # acronym plural: IDs, URLs
    r"|[A-Z]+(?![a-z])"  # acronym run, minus the capital that starts the next word
    r"|[A-Z][a-z]*"  # Capitalised word
    r"|[a-z]+"
    r"|[0-9]+"
)


def split_words(name: str) -> list[str]:
    """The words of ``name`` (see the module docstring); separators and invalid characters vanish."""
    words: list[str] = []
    for chunk in _SEPARATORS.split(name):
        first = True
        after_digits = False
        for tok in _WORD.findall(chunk):
            if not first and (tok[0].isdigit() or (after_digits and tok.islower())):
                words[-1] += tok
            else:
                words.append(tok)
            first = False
            after_digits = tok[0].isdigit()
    return words


def snake_case(name: str) -> str:
    """``SetUIInfo`` → ``set_ui_info``.  Pure conversion: may be empty or start with a digit."""
    return "_".join(w.lower() for w in split_words(name))


def pascal_case(name: str) -> str:
    """``Listener.Unix.Map`` → ``ListenerUnixMap``; acronym runs keep their case."""
    return "".join(w[0].upper() + w[1:] for w in split_words(name))


def safe_name(name: str, reserved: frozenset[str], *, digit_prefix: str = "n") -> str:
    """``name`` made usable: ``digit_prefix`` before a leading digit, ``_`` after a reserved word.

    ``name`` must already consist of ASCII letters, digits and ``_`` (as the
    conversions above produce) and not be empty.
    """
    if name[:1].isdigit():
        name = digit_prefix + name
    while name in reserved:
        name += "_"
    return name


def _identifier_problem(value: str) -> str | None:
    if not value:
        return "it is empty"
    if not value.isascii():
        return "it is not ASCII"
    if not value.isidentifier():
        return "it is not a Python identifier"
    if value.startswith("_"):
        return "it starts with '_', which is kept for the templates and the runtime"
    return None


def _reserved_problem(value: str, reserved: frozenset[str], extra: dict[str, str]) -> str | None:
    if value in KEYWORDS:
        return "it is a Python keyword"
    if value in SOFT_KEYWORDS:
        return "it is a Python soft keyword"
    if value in BUILTINS:
        return "it is a Python builtin"
    if value in extra:
        return extra[value]
    if value in RUNTIME_MEMBERS and value in reserved:
        return "the runtime base classes use it"
    if value in reserved:
        return "it is reserved here"
    return None


# --------------------------------------------------------------------------- types

#: Basic type codes to the annotation used for them, both when received and sent.
RECEIVED_BASIC_TYPES: dict[str, str] = {
    "y": "int",
    "n": "int",
    "q": "int",
    "i": "int",
    "u": "int",
    "x": "int",
    "t": "int",
    "b": "bool",
    "d": "float",
    "s": "str",
    "o": "_rt.ObjectPath",
    "g": "_rt.Signature",
    "h": "_rt.UnixFD",
}


def python_type(t: DBusType, *, sending: bool) -> str:
    """The annotation text for a value of D-Bus type ``t``.

    ``sending=False`` (client return values, server handler arguments, received
    signals, property get) gives concrete types: ``aX`` → ``list[X]``, ``a{KV}`` →
    ``dict[K, V]``, ``ay`` → ``bytes``, structs → ``tuple[...]``.  ``sending=True``
    (client args, server return values, emitted signals, property set) accepts
    ``_t.Sequence[X]``, ``_t.Mapping[K, V]`` and ``bytes | bytearray``, except that an
    array of strings is ``list[str] | tuple[str, ...]``: a bare ``str`` is itself a
    ``Sequence[str]`` and would be sent as a list of characters.
    """
    if isinstance(t, BasicType):
        return RECEIVED_BASIC_TYPES[t.code]
    if isinstance(t, VariantType):
        return "_rt.Variant"
    if isinstance(t, ArrayType):
        if isinstance(t.element, BasicType) and t.element.code == "y":
            return "bytes | bytearray" if sending else "bytes"
        inner = python_type(t.element, sending=sending)
        if not sending:
            return f"list[{inner}]"
        if isinstance(t.element, BasicType) and t.element.code == "s":
            return "list[str] | tuple[str, ...]"
        return f"_t.Sequence[{inner}]"
    if isinstance(t, DictType):
        key = python_type(t.key, sending=sending)
        value = python_type(t.value, sending=sending)
        return f"_t.Mapping[{key}, {value}]" if sending else f"dict[{key}, {value}]"
    if isinstance(t, StructType):
        return "tuple[" + ", ".join(python_type(f, sending=sending) for f in t.fields) + "]"
    raise TypeError(f"not a D-Bus type: {t!r}")  # pragma: no cover


def _type_or_object(t: DBusType | None, *, sending: bool) -> str:
    # An invalid signature already has an error diagnostic, so nothing is rendered.
    return "object" if t is None else python_type(t, sending=sending)


def describe(t: DBusType | None) -> str:
    """Plain words for docstrings: ``dict of string to variant``."""
    return "invalid type" if t is None else t.describe()


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, slots=True)
class ArgNames:
    arg: Arg
    #: Parameter name (method in args, signal args) and NamedTuple field name.
    name: PyName
    #: Index among the method's in args, its out args, or the signal's args.
    position: int
    recv_type: str
    send_type: str
    description: str


@dataclass(frozen=True, slots=True)
class MethodNames:
    method: Method
    dbus_name: str
    #: The method on the proxy and the handler on the server.
    name: PyName
    #: PascalCase stem used for the result class.
    pascal: str
    in_args: tuple[ArgNames, ...]
    out_args: tuple[ArgNames, ...]
    #: Module-level NamedTuple ``<Base><Pascal>Result``; only with ≥ 2 out args.
    result_class: PyName | None
    #: Proxy return annotation: ``None``, the received type, or ``result_class``.
    client_return: str
    #: Server handler return annotation: ``None``, the sent type, or ``tuple[...]`` of
    #: sent types (which a ``result_class`` instance also satisfies).
    server_return: str


@dataclass(frozen=True, slots=True)
class PropertyNames:
    prop: Property
    dbus_name: str
    stem: str
    #: ``get_<stem>`` on proxy and server; None when the property is write-only.
    getter: PyName | None
    #: ``set_<stem>`` on proxy and server; None when the property is read-only.
    setter: PyName | None
    #: ``notify_<stem>`` on the server; None unless EmitsChangedSignal is true/invalidates.
    notifier: PyName | None
    recv_type: str
    send_type: str
    description: str

    @property
    def readable(self) -> bool:
        return self.getter is not None

    @property
    def writable(self) -> bool:
        return self.setter is not None


@dataclass(frozen=True, slots=True)
class SignalNames:
    signal: Signal
    dbus_name: str
    stem: str
    pascal: str
    #: Proxy: ``on_<stem>(callback)``.
    on_name: PyName
    #: Proxy: ``stream_<stem>()`` returning an async stream of ``tuple_class``.
    stream_name: PyName
    #: Server: ``emit_<stem>(*args)``.
    emit_name: PyName
    #: Module-level NamedTuple ``<Base><Pascal>Signal`` of the signal's args (always).
    tuple_class: PyName
    args: tuple[ArgNames, ...]


@dataclass(frozen=True, slots=True)
class InterfaceNames:
    interface: Interface
    dbus_name: str
    base: str
    module: PyName
    proxy_class: PyName
    server_class: PyName
    #: Module-level ``<BASE>_INTERFACE: Final = "<dbus name>"``.
    constant: PyName
    #: TypedDict ``<Base>PropertiesChanged`` and the proxy's ``watch_properties``;
    #: both None unless some property emits PropertiesChanged (true or invalidates).
    changed_class: PyName | None
    watch_name: PyName | None
    methods: tuple[MethodNames, ...]
    properties: tuple[PropertyNames, ...]
    signals: tuple[SignalNames, ...]
    #: Every module-level public name: constant, result classes, signal classes,
    #: changed class, proxy, server (in that order).
    exports: tuple[PyName, ...]
    #: TypedDict ``<Base>Properties`` of every readable property (what the proxy's
    #: ``get_all`` returns), in the interface's module; None when no property is
    #: readable (then, with the ``object_manager`` module, that module defines an
    #: empty one).
    properties_class: PyName | None = None
    #: The proxy's typed ``Properties.GetAll`` (``get_all``), with ``properties_class``.
    get_all_name: PyName | None = None
    #: True when ``properties_class`` is defined in the ``object_manager`` module (the
    #: interface has no readable property) rather than in the interface's module.
    properties_in_object_manager: bool = False


@dataclass(frozen=True, slots=True)
class Names:
    #: One per distinct interface name, in order of first appearance.
    interfaces: tuple[InterfaceNames, ...]
    #: The dotted prefix stripped from interface names ("" for none).
    interface_prefix: str
    _by_name: dict[str, InterfaceNames] = field(default_factory=dict, compare=False, repr=False)

    def interface(self, dbus_name: str) -> InterfaceNames:
        return self._by_name[dbus_name]

    @property
    def modules(self) -> tuple[PyName, ...]:
        return tuple(i.module for i in self.interfaces)


# --------------------------------------------------------------------------- collisions


@dataclass(frozen=True, slots=True)
class _Claim:
    label: str
    location: Location
    #: Identity of the D-Bus element behind the claim (kind, location).
    element: tuple[str, Location]
    #: The interface element that owns a member's module-level class.
    owner: tuple[str, Location] | None = None


@dataclass(slots=True)
class _Space:
    rule: str
    what: str  # "{name}" pattern: "'{name}'", "parameter '{name}'", "class '{name}'"
    prep: str | None  # "on", "of" or None
    target: str
    claims: dict[str, list[_Claim]] = field(default_factory=dict)

    def add(self, name: str, claim: _Claim) -> None:
        self.claims.setdefault(name, []).append(claim)


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _collision_diagnostics(spaces: Sequence[_Space]) -> list[Diagnostic]:
    # Group by (rule, first element, second element); merge what each pair became.
    groups: dict[tuple[str, _Claim, _Claim], list[tuple[str, str | None, str]]] = {}
    for space in spaces:
        for name, claims in space.claims.items():
            if len(claims) < 2:
                continue
            ordered = sorted(claims, key=lambda c: (c.location, c.label))
            first = ordered[0]
            for other in ordered[1:]:
                item = (space.what.format(name=name), space.prep, space.target)
                bucket = groups.setdefault((space.rule, first, other), [])
                if item not in bucket:
                    bucket.append(item)
    # A result/signal class clash is noise when the same two members already clash as
    # class members, or when their two interfaces already clash as a whole.
    member_pairs = {(f.element, o.element) for (r, f, o) in groups if r != RULE_CLASS_COLLISION}
    interface_pairs = {
        (f.element, o.element) for (_r, f, o) in groups if f.element[0] == "interface"
    }
    interface_pairs |= {(o, f) for (f, o) in interface_pairs}
    out: list[Diagnostic] = []
    for (rule, first, other), items in groups.items():
        if rule == RULE_CLASS_COLLISION and first.owner is not None and other.owner is not None:
            if (first.element, other.element) in member_pairs or (
                first.owner,
                other.owner,
            ) in interface_pairs:
                continue
        phrases: list[str] = []
        merged: dict[tuple[str, str | None], list[str]] = {}
        for what, prep, target in items:
            merged.setdefault((what, prep), []).append(target)
        for (what, prep), targets in merged.items():
            phrases.append(what if prep is None else f"{what} {prep} {_join(targets)}")
        message = (
            f"{first.label} and {other.label} both become {_join(phrases)} "
            f"(first at {where_related(first.location, other.location)}); {OVERRIDE_HINT}"
        )
        out.append(Diagnostic(rule, Severity.ERROR, message, other.location, first.location))
    return out


# --------------------------------------------------------------------------- building


def common_interface_prefix(names: Iterable[str]) -> str:
    """The longest dotted prefix shared by all names, leaving each at least its last component."""
    parents = [n.split(".")[:-1] for n in names]
    if not parents:
        return ""
    common = parents[0]
    for p in parents[1:]:
        n = 0
        while n < len(common) and n < len(p) and common[n] == p[n]:
            n += 1
        common = common[:n]
    return ".".join(common)


def _strip_prefix(name: str, prefix: str) -> str:
    if prefix and name.startswith(prefix + "."):
        return name[len(prefix) + 1 :]
    if prefix and name == prefix:
        return name.rsplit(".", 1)[-1]
    return name


def _shape(iface: Interface) -> object:
    def anns(a: tuple[Annotation, ...]) -> tuple[tuple[str, str], ...]:
        return tuple((x.name, x.value) for x in a)

    def args(a: tuple[Arg, ...]) -> tuple[object, ...]:
        return tuple((x.name, x.signature, x.direction, anns(x.annotations)) for x in a)

    return (
        anns(iface.annotations),
        tuple((m.name, args(m.args), anns(m.annotations)) for m in iface.methods),
        tuple(
            (p.name, p.signature, p.access, p.emits_changed, anns(p.annotations))
            for p in iface.properties
        ),
        tuple((s.name, args(s.args), anns(s.annotations)) for s in iface.signals),
    )


def _find_annotation(annotations: tuple[Annotation, ...], name: str) -> Annotation | None:
    for ann in annotations:
        if ann.name == name:
            return ann
    return None


class _Builder:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.spaces: list[_Space] = []

    def space(self, rule: str, what: str, prep: str | None, target: str) -> _Space:
        s = _Space(rule, what, prep, target)
        self.spaces.append(s)
        return s

    def bad_override(
        self, ann: Annotation, label: str, element: Location, reason: str, used: str
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                RULE_BAD_OVERRIDE,
                Severity.ERROR,
                f"annotation {ann.name}={ann.value!r} on {label} can't be used: {reason}; using {used!r}",
                ann.location,
                element,
            )
        )

    def tuple_field(
        self, label: str, owner: str, tuple_class: str, text: str, used: str, location: Location
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                RULE_TUPLE_FIELD,
                Severity.INFO,
                f"{label} of {owner} is the field {tuple_class}.{used} (not {text!r}: "
                f"{tuple_class}.{text} stays tuple.{text}); an {ANN_PYTHON_NAME} annotation "
                "picks another name",
                location,
            )
        )

    def runtime_member(self, label: str, text: str, used: str, location: Location) -> None:
        self.diagnostics.append(
            Diagnostic(
                RULE_RUNTIME_MEMBER,
                Severity.INFO,
                f"{label} is {used!r} in Python: {text!r} is a member every generated proxy or "
                f"server has (the runtime base classes, or the generated {WATCH_PROPERTIES} / "
                f"{GET_ALL}); an {ANN_PYTHON_NAME} annotation picks another name",
                location,
            )
        )

    def no_name(self, label: str, location: Location, used: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                RULE_NO_NAME,
                Severity.ERROR,
                f"{label} has no ASCII letters or digits to make a Python name of; using {used!r} "
                f"(add an {ANN_PYTHON_NAME} annotation, in the XML or with --annotate)",
                location,
            )
        )

    def override(
        self,
        annotations: tuple[Annotation, ...],
        label: str,
        location: Location,
        derived: str,
        *,
        c_name: str | None,
        reserved: frozenset[str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[str, str | None]:
        """Pick the name text: (text, the annotation it came from or None).

        ``c_name`` is how a ``C.Name`` is converted ("snake" or "pascal"), None where
        gdbus-codegen does not honour it.  ``reserved`` is the set a verbatim
        Python.Name must avoid; None when the value is a stem composed into other
        names (or checked later by the caller).
        """
        python = _find_annotation(annotations, ANN_PYTHON_NAME)
        gdbus = _find_annotation(annotations, ANN_GDBUS_C_NAME) if c_name is not None else None
        fallback, fallback_from = derived, None
        if gdbus is not None:
            converted = snake_case(gdbus.value) if c_name == "snake" else pascal_case(gdbus.value)
            if converted:
                fallback, fallback_from = converted, ANN_GDBUS_C_NAME
            else:
                self.bad_override(
                    gdbus, label, location, "no ASCII letters or digits are left", derived
                )
        if python is not None:
            problem = _identifier_problem(python.value)
            if problem is None and reserved is not None:
                problem = _reserved_problem(python.value, reserved, extra or {})
            if problem is None:
                return python.value, ANN_PYTHON_NAME
            self.bad_override(python, label, location, problem, fallback)
        return fallback, fallback_from


def _arg_label(arg: Arg, position: int) -> str:
    return f"arg {arg.name!r}" if arg.name else f"unnamed arg #{position}"


_ARG_EXTRA_REASONS: dict[str, str] = {
    "self": "it is the method's 'self'",
    "cls": "it is reserved for 'cls'",
    "count": "a NamedTuple field would shadow tuple.count",
    "index": "a NamedTuple field would shadow tuple.index",
}


#: Reserved member names a user would not expect to be taken (not keywords, builtins or
#: ``object``'s): renaming a member away from one is reported (NAME-I007).
_SURPRISING = (RUNTIME_MEMBERS - OBJECT_ATTRIBUTES - _PYTHON_RESERVED) | {WATCH_PROPERTIES, GET_ALL}

#: NamedTuple methods a field name would shadow (the field is renamed: ``count_``).
_TUPLE_METHODS = frozenset({"count", "index"})


def _module_level_reasons(names: Iterable[str]) -> dict[str, str]:
    return {n: f"it would shadow the generated module-level name {n!r}" for n in names}


def _build_args(
    b: _Builder,
    args: tuple[Arg, ...],
    owner: str,
    module_names: frozenset[str],
    spaces: Sequence[_Space],
    field_of: str | None = None,
) -> tuple[ArgNames, ...]:
    """The names of ``args``; ``field_of`` names the NamedTuple they are the fields of
    (a field that would be ``count`` or ``index`` is reported as renamed)."""
    extra = _module_level_reasons(module_names) | _ARG_EXTRA_REASONS
    out: list[ArgNames] = []
    for position, arg in enumerate(args):
        label = _arg_label(arg, position)
        text, source = b.override(
            arg.annotations,
            f"{label} of {owner}",
            arg.location,
            snake_case(arg.name or ""),
            c_name=None,
            reserved=ARG_RESERVED | module_names,
            extra=extra,
        )
        if source == ANN_PYTHON_NAME:
            name = text
        elif text:
            name = safe_name(text, ARG_RESERVED)
            if field_of is not None and text in _TUPLE_METHODS:
                b.tuple_field(label, owner, field_of, text, name, arg.location)
        else:
            name = f"arg{position}"
        claim = _Claim(label, arg.location, ("arg", arg.location))
        for space in spaces:
            space.add(name, claim)
        out.append(
            ArgNames(
                arg,
                PyName(name),
                position,
                _type_or_object(arg.type, sending=False),
                _type_or_object(arg.type, sending=True),
                describe(arg.type),
            )
        )
    return tuple(out)


def _dedupe(b: _Builder, interfaces: Sequence[Interface]) -> list[Interface]:
    """One interface per D-Bus name, in order of first appearance; the earliest
    declaration (by location) stands for all; twins with other members are errors."""
    groups: dict[str, list[Interface]] = {}
    for iface in interfaces:
        groups.setdefault(iface.name, []).append(iface)
    unique: list[Interface] = []
    for name, group in groups.items():
        ordered = sorted(group, key=lambda i: i.location)
        first = ordered[0]
        unique.append(first)
        for other in ordered[1:]:
            if _shape(other) != _shape(first):
                b.diagnostics.append(
                    Diagnostic(
                        RULE_CLASS_COLLISION,
                        Severity.ERROR,
                        f"interface {name!r} is declared twice with different members (first at {where_related(first.location, other.location)})",
                        other.location,
                        first.location,
                    )
                )
    return unique


def _notifies(p: Property) -> bool:
    """PropertiesChanged is sent for readable properties whose EmitsChangedSignal is
    true or invalidates. A write-only property never is: its value (a secret, say)
    must not be broadcast to every listener."""
    readable = p.access is None or p.access.readable
    return readable and p.emits_changed in (EmitsChanged.TRUE, EmitsChanged.INVALIDATES)


def build_names(
    interfaces: Sequence[Interface],
    *,
    interface_prefix: str | None = None,
    client: bool = True,
    server: bool = True,
    object_manager: bool = False,
) -> tuple[Names, list[Diagnostic]]:
    """Assign every generated Python name for ``interfaces`` (one generated package).

    ``interface_prefix`` replaces the computed common dotted prefix that is stripped
    from interface names to make class base names (``""`` strips nothing).
    ``client`` / ``server`` say which classes are generated: names of a class that is
    not generated are still assigned but never reported as colliding.
    The diagnostics come back sorted; any ERROR means the names must not be rendered.
    """
    b = _Builder()
    unique = _dedupe(b, interfaces)
    if interface_prefix is None:
        prefix = common_interface_prefix(i.name for i in unique)
    else:
        prefix = interface_prefix.strip().strip(".")
    package = _PackageSpaces(
        classes=b.space(RULE_CLASS_COLLISION, "class '{name}'", None, ""),
        constants=b.space(RULE_CLASS_COLLISION, "constant '{name}'", None, ""),
        modules=b.space(RULE_CLASS_COLLISION, "module '{name}'", None, ""),
    )
    result = [_build_interface(b, iface, prefix, package) for iface in unique]
    if object_manager:
        result = _object_manager_names(result, package)
    skipped: set[str] = set()
    if not client:
        skipped |= {i.proxy_class for i in result}
    if not server:
        skipped |= {i.server_class for i in result}
    spaces = [sp for sp in b.spaces if not _space_skipped(sp, skipped)]
    diagnostics = b.diagnostics + _collision_diagnostics(spaces)
    diagnostics.sort(key=Diagnostic.sort_key)
    return Names(tuple(result), prefix, {i.dbus_name: i for i in result}), diagnostics


#: The package module with the typed ObjectManager client, and its fixed names.
OBJECT_MANAGER_MODULE = "object_manager"
OBJECT_MANAGER_NAMES = (
    "ManagedInterfaces",
    "ManagedObjects",
    "ObjectManagerInterfacesAddedSignal",
    "ObjectManagerInterfacesRemovedSignal",
    "ObjectManagerProxy",
)


def _object_manager_names(
    result: list[InterfaceNames], package: _PackageSpaces
) -> list[InterfaceNames]:
    """``<Base>Properties`` per interface and the ObjectManager module's names, claimed in
    the package namespaces (an interface called ``ObjectManager`` would clash)."""
    if result:
        first = result[0].interface
        claim = _Claim("the ObjectManager client module", first.location, ("om", first.location))
        package.modules.add(OBJECT_MANAGER_MODULE, claim)
        for name in OBJECT_MANAGER_NAMES:
            package.classes.add(name, claim)
    out: list[InterfaceNames] = []
    for names in result:
        if names.properties_class is not None:
            out.append(names)
            continue
        iface = names.interface
        cls = f"{names.base}Properties"
        package.classes.add(
            cls,
            _Claim(f"interface {iface.name!r}", iface.location, ("interface", iface.location)),
        )
        out.append(replace(names, properties_class=PyName(cls), properties_in_object_manager=True))
    return out


def _space_skipped(space: _Space, skipped: set[str]) -> bool:
    """True for a namespace that belongs only to classes that are not generated."""
    if not skipped or space.rule == RULE_CLASS_COLLISION:
        return False
    owners = {t.split(".", 1)[0] for t in space.target.split(" and ")}
    return owners <= skipped


@dataclass(frozen=True, slots=True)
class _PackageSpaces:
    classes: _Space
    constants: _Space
    modules: _Space


def _member_pascal(element: Method | Signal, text: str, source: str | None) -> str:
    if source == ANN_PYTHON_NAME:
        return pascal_case(text)
    if source == ANN_GDBUS_C_NAME:
        return pascal_case(annotation_value(element.annotations, ANN_GDBUS_C_NAME) or element.name)
    return pascal_case(element.name)


@dataclass(frozen=True, slots=True)
class _MethodText:
    """Pass 1 of a method: its name text, where it came from, its result class."""

    method: Method
    text: str
    source: str | None
    result_class: str | None


@dataclass(frozen=True, slots=True)
class _SignalText:
    """Pass 1 of a signal: its stem, PascalCase stem and args class."""

    signal: Signal
    stem: str
    pascal: str
    tuple_class: str


@dataclass(frozen=True, slots=True)
class _Members:
    """What pass 2 (the class members) of one interface shares between member kinds."""

    proxy_class: str
    server_class: str
    #: Every module-level name of the interface's module (args and members must not shadow them).
    module_names: frozenset[str]
    proxy_space: _Space
    server_space: _Space
    proxy_reserved: frozenset[str]
    member_reasons: dict[str, str]


def _method_texts(
    b: _Builder, iface: Interface, base: str, owner: tuple[str, Location], package: _PackageSpaces
) -> list[_MethodText]:
    out: list[_MethodText] = []
    for m in iface.methods:
        text, source = b.override(
            m.annotations, f"method {m.name!r}", m.location, snake_case(m.name), c_name="snake"
        )
        result_class = None
        if len(m.out_args) >= 2:
            result_class = f"{base}{_member_pascal(m, text, source)}Result"
            claim = _Claim(
                f"method '{iface.name}.{m.name}'", m.location, ("method", m.location), owner
            )
            package.classes.add(result_class, claim)
        out.append(_MethodText(m, text, source, result_class))
    return out


def _signal_texts(
    b: _Builder, iface: Interface, base: str, owner: tuple[str, Location], package: _PackageSpaces
) -> list[_SignalText]:
    out: list[_SignalText] = []
    for s in iface.signals:
        slabel = f"signal {s.name!r}"
        text, source = b.override(
            s.annotations, slabel, s.location, snake_case(s.name), c_name="snake"
        )
        pascal = _member_pascal(s, text, source)
        if not text:
            text = "signal"
            b.no_name(slabel, s.location, text)
        cls = f"{base}{pascal or 'Signal'}Signal"
        package.classes.add(
            cls,
            _Claim(f"signal '{iface.name}.{s.name}'", s.location, ("signal", s.location), owner),
        )
        out.append(_SignalText(s, text, pascal, cls))
    return out


def _method_names(b: _Builder, c: _Members, texts: Sequence[_MethodText]) -> list[MethodNames]:
    methods: list[MethodNames] = []
    for t in texts:
        m, text, source, result_class = t.method, t.text, t.source, t.result_class
        mlabel = f"method {m.name!r}"
        pascal = _member_pascal(m, text, source)
        if source == ANN_PYTHON_NAME:
            problem = _reserved_problem(text, c.proxy_reserved | c.module_names, c.member_reasons)
            if problem is not None:
                python = _find_annotation(m.annotations, ANN_PYTHON_NAME)
                assert python is not None
                gdbus = annotation_value(m.annotations, ANN_GDBUS_C_NAME)
                text, source = snake_case(gdbus or ""), ANN_GDBUS_C_NAME
                if not text:
                    text, source = snake_case(m.name), None
                b.bad_override(python, mlabel, m.location, problem, text)
        if not text:
            text = "method"
            b.no_name(mlabel, m.location, text)
        name = text if source == ANN_PYTHON_NAME else safe_name(text, c.proxy_reserved)
        if name != text and text in _SURPRISING:
            b.runtime_member(mlabel, text, name, m.location)
        claim = _Claim(mlabel, m.location, ("method", m.location))
        c.proxy_space.add(name, claim)
        c.server_space.add(name, claim)
        in_space = b.space(
            RULE_PARAM_COLLISION,
            "parameter '{name}'",
            "of",
            f"{c.proxy_class}.{name} and {c.server_class}.{name}",
        )
        in_args = _build_args(b, m.in_args, mlabel, c.module_names, [in_space])
        out_spaces = (
            [b.space(RULE_PARAM_COLLISION, "field '{name}'", "of", result_class)]
            if result_class
            else []
        )
        out_args = _build_args(b, m.out_args, mlabel, c.module_names, out_spaces, result_class)
        if not out_args:
            client_return = server_return = "None"
        elif result_class is None:
            client_return, server_return = out_args[0].recv_type, out_args[0].send_type
        else:
            client_return = result_class
            server_return = "tuple[" + ", ".join(a.send_type for a in out_args) + "]"
        if m.no_reply:
            # A NoReply call never waits for the reply, so the proxy returns nothing; the
            # handler still returns the out args for callers that ignore the annotation.
            client_return = "None"
        methods.append(
            MethodNames(
                m,
                m.name,
                PyName(name),
                pascal,
                in_args,
                out_args,
                PyName(result_class) if result_class else None,
                client_return,
                server_return,
            )
        )
    return methods


def _property_names(b: _Builder, c: _Members, iface: Interface) -> list[PropertyNames]:
    properties: list[PropertyNames] = []
    for p in iface.properties:
        plabel = f"property {p.name!r}"
        stem, _ = b.override(p.annotations, plabel, p.location, snake_case(p.name), c_name="snake")
        if not stem:
            stem = "property"
            b.no_name(plabel, p.location, stem)
        claim = _Claim(plabel, p.location, ("property", p.location))
        getter = setter = notifier = None
        if p.access is None or p.access.readable:
            getter = safe_name(f"get_{stem}", c.proxy_reserved)
            if getter != f"get_{stem}" and f"get_{stem}" in _SURPRISING:
                b.runtime_member(plabel, f"get_{stem}", getter, p.location)
            c.proxy_space.add(getter, claim)
            c.server_space.add(getter, claim)
        if p.access is None or p.access.writable:
            setter = safe_name(f"set_{stem}", c.proxy_reserved)
            c.proxy_space.add(setter, claim)
            c.server_space.add(setter, claim)
        if _notifies(p):
            notifier = safe_name(f"notify_{stem}", MEMBER_RESERVED)
            c.server_space.add(notifier, claim)
        properties.append(
            PropertyNames(
                p,
                p.name,
                stem,
                PyName(getter) if getter else None,
                PyName(setter) if setter else None,
                PyName(notifier) if notifier else None,
                _type_or_object(p.type, sending=False),
                _type_or_object(p.type, sending=True),
                describe(p.type),
            )
        )
    return properties


def _signal_names(
    b: _Builder, c: _Members, texts: Sequence[_SignalText], method_names: set[str]
) -> list[SignalNames]:
    signals: list[SignalNames] = []
    for t in texts:
        s, stem = t.signal, t.stem
        slabel = f"signal {s.name!r}"
        claim = _Claim(slabel, s.location, ("signal", s.location))
        on_name = safe_name(f"on_{stem}", c.proxy_reserved)
        stream_name = safe_name(f"stream_{stem}", c.proxy_reserved)
        emit_name = safe_name(f"emit_{stem}", MEMBER_RESERVED)
        if emit_name in method_names:
            emit_name = safe_name(f"emit_{stem}_signal", MEMBER_RESERVED)
        c.proxy_space.add(on_name, claim)
        c.proxy_space.add(stream_name, claim)
        c.server_space.add(emit_name, claim)
        arg_spaces = [
            b.space(
                RULE_PARAM_COLLISION, "parameter '{name}'", "of", f"{c.server_class}.{emit_name}"
            ),
            b.space(RULE_PARAM_COLLISION, "field '{name}'", "of", t.tuple_class),
        ]
        args = _build_args(b, s.args, slabel, c.module_names, arg_spaces, t.tuple_class)
        signals.append(
            SignalNames(
                s,
                s.name,
                stem,
                t.pascal,
                PyName(on_name),
                PyName(stream_name),
                PyName(emit_name),
                PyName(t.tuple_class),
                args,
            )
        )
    return signals


def _build_interface(
    b: _Builder, iface: Interface, prefix: str, package: _PackageSpaces
) -> InterfaceNames:
    """The names of one interface: its module-level names first (pass 1: module,
    classes, constant, result and signal classes, claimed in the package), then the
    members of its proxy and server by kind (pass 2), which must not shadow them."""
    label = f"interface {iface.name!r}"
    base, _ = b.override(
        iface.annotations,
        label,
        iface.location,
        pascal_case(_strip_prefix(iface.name, prefix)),
        c_name="pascal",
    )
    if not base:
        base = "Interface"
        b.no_name(label, iface.location, base)
    if base[0].isdigit():
        base = "N" + base
    module = safe_name(snake_case(base), MODULE_RESERVED)
    proxy_class = f"{base}Proxy"
    server_class = f"{base}Server"
    constant = safe_name(snake_case(base).upper() + "_INTERFACE", frozenset(), digit_prefix="N")
    emits = any(_notifies(p) for p in iface.properties)
    changed_class = f"{base}PropertiesChanged" if emits else None
    readable = any(p.access is None or p.access.readable for p in iface.properties)
    properties_class = f"{base}Properties" if readable else None

    owner = ("interface", iface.location)
    iface_claim = _Claim(label, iface.location, owner)
    package.modules.add(module, iface_claim)
    package.constants.add(constant, iface_claim)
    for cls in (proxy_class, server_class, properties_class, changed_class):
        if cls is not None:
            package.classes.add(cls, iface_claim)

    # -- pass 1: member texts, and the module-level classes derived from them
    method_texts = _method_texts(b, iface, base, owner, package)
    signal_texts = _signal_texts(b, iface, base, owner, package)
    result_classes = [t.result_class for t in method_texts if t.result_class is not None]
    signal_classes = [t.tuple_class for t in signal_texts]
    module_names = frozenset(
        [constant, proxy_class, server_class]
        + result_classes
        + signal_classes
        + ([properties_class] if properties_class else [])
        + ([changed_class] if changed_class else [])
    )

    # -- pass 2: class members and their args
    member_reasons = _module_level_reasons(module_names)
    if changed_class:
        member_reasons[WATCH_PROPERTIES] = "it is the proxy's properties watcher"
    if properties_class:
        member_reasons[GET_ALL] = "it is the proxy's typed Properties.GetAll"
    members = _Members(
        proxy_class,
        server_class,
        module_names,
        b.space(RULE_MEMBER_COLLISION, "'{name}'", "on", proxy_class),
        b.space(RULE_MEMBER_COLLISION, "'{name}'", "on", server_class),
        MEMBER_RESERVED
        | ({WATCH_PROPERTIES} if changed_class else frozenset())
        | ({GET_ALL} if properties_class else frozenset()),
        member_reasons,
    )
    methods = _method_names(b, members, method_texts)
    properties = _property_names(b, members, iface)
    signals = _signal_names(b, members, signal_texts, {str(m.name) for m in methods})

    exports = [constant, *result_classes, *signal_classes]
    if properties_class:
        exports.append(properties_class)
    if changed_class:
        exports.append(changed_class)
    exports += [proxy_class, server_class]
    return InterfaceNames(
        iface,
        iface.name,
        base,
        PyName(module),
        PyName(proxy_class),
        PyName(server_class),
        PyName(constant),
        PyName(changed_class) if changed_class else None,
        PyName(WATCH_PROPERTIES) if changed_class else None,
        tuple(methods),
        tuple(properties),
        tuple(signals),
        tuple(PyName(e) for e in exports),
        PyName(properties_class) if properties_class else None,
        PyName(GET_ALL) if properties_class else None,
    )
