"""Render the model into a generated package: views with every name, type string and text
ready (built here, in Python), placed by the jinja2 templates in ``templates/``, then
formatted with black. No logic lives in the templates.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
import importlib
from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import jinja2

from . import naming
from .format import format_python
from .introspect_xml import interface_xml
from .layout import (
    Call,
    Layout,
    assign_literal,
    comment_at,
    docstring_at,
    function,
    mapping,
    statement,
)
from .model import Doc, EmitsChanged, Interface, annotation_value
from .pysource import comment, docstring, pyliteral, pystr
from .resources import (
    RUNTIME_PACKAGE,
    VENDORED_RUNTIME,
    cache_dir,
    runtime_api,
    runtime_files,
    templates_dir,
)

if TYPE_CHECKING:
    from .config import GenerateOptions

#: Names the package re-exports from its runtime module: the runtime's ``__all__``.
RUNTIME_EXPORTS = tuple(sorted(naming.RUNTIME_EXPORTS))


#: Templates compiled to Python ahead of time and shipped with qdbusgen, one module per
#: template named after its key (``scripts/regen_examples.py`` writes them, a test checks
#: they are fresh). A template whose key has no module is compiled at run time as usual.
COMPILED_PACKAGE = "qdbusgen.compiled_templates"
TEMPLATE_NAMES = ("module.py.jinja", "package_init.py.jinja", "_macros.jinja")


#: The environment settings compiled code depends on (jinja's lexer key, and more).
_COMPILE_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "autoescape",
    "optimized",
)


def template_key(environment: jinja2.Environment, name: str, source: str) -> str:
    """The key of a template's compiled module: jinja's version, the environment's
    settings that shape the compiled code, the template's name and source."""
    settings = [(s, getattr(environment, s)) for s in _COMPILE_SETTINGS]
    text = f"jinja2 {jinja2.__version__}\0{settings!r}\0{name}\0{source}"
    return "t_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class _Loader(jinja2.FileSystemLoader):
    """templates/, each template from its shipped compiled module when that is fresh."""

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, object] | None = None,
    ) -> jinja2.Template:
        source, _filename, _uptodate = self.get_source(environment, name)
        try:
            module = importlib.import_module(
                f"{COMPILED_PACKAGE}.{template_key(environment, name, source)}"
            )
        except ImportError:
            return super().load(environment, name, globals)
        # the module's own namespace: its functions find ``environment`` there
        return environment.template_class.from_module_dict(
            environment, module.__dict__, dict(globals or {})
        )


def _code_key() -> str:
    code = Path(__file__).read_bytes() + jinja2.__version__.encode()
    return hashlib.sha256(code).hexdigest()[:16]


@functools.cache
def environment() -> jinja2.Environment:
    """The jinja2 environment (built once per process: compiling templates is costly)."""
    cache = cache_dir()
    bytecode_cache = None
    if cache is not None:
        # jinja keys its bytecode by template source only, but the compiled code also
        # depends on the filters (pass_context or not): key the directory by this module
        jinja_dir = cache / "jinja" / _code_key()
        try:
            jinja_dir.mkdir(parents=True, exist_ok=True)
            bytecode_cache = jinja2.FileSystemBytecodeCache(str(jinja_dir))
        except OSError:
            pass  # no cache: templates are compiled on every run
    env = jinja2.Environment(
        loader=_Loader(str(templates_dir())),
        bytecode_cache=bytecode_cache,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        {"pyliteral": pyliteral, "docstring": _docstring_filter, "comment": _comment_filter}
    )
    return env


def compiled_templates() -> dict[str, str]:
    """The modules of :data:`COMPILED_PACKAGE` for the templates as they are: file name ->
    Python source (what jinja would compile them to at run time)."""
    env = environment()
    loader = env.loader
    assert loader is not None
    out: dict[str, str] = {}
    for name in TEMPLATE_NAMES:
        source, filename, _ = loader.get_source(env, name)
        code = env.compile(source, name, filename, raw=True, defer_init=True)
        out[f"{template_key(env, name, source)}.py"] = (
            f"# Generated by scripts/regen_examples.py from templates/{name}. Do not edit.\n"
            + code
            + "\n"
        )
    return out


@jinja2.pass_context
def _docstring_filter(context: jinja2.runtime.Context, text: str, depth: int | None = None) -> str:
    """``{{ text | docstring(depth) }}``: the docstring laid out as black lays it out at that
    depth. Without a depth (or outside a module render) the literal is left for black."""
    layout = context.get("layout")
    if depth is None or not isinstance(layout, Layout):
        if isinstance(layout, Layout):
            layout.uncertain = True
        return docstring(text)
    return docstring_at(text, depth, layout)


@jinja2.pass_context
def _comment_filter(context: jinja2.runtime.Context, text: str, depth: int = 0) -> str:
    layout = context.get("layout")
    if not isinstance(layout, Layout):
        return comment(text)
    return comment_at(text, depth, layout)


def _decorator(depth: int, reason: str | None, layout: Layout) -> str | None:
    if reason is None:
        return None
    return statement(depth, Call("@_te.deprecated", (pystr(reason),)), layout)


def _arg_list(args: Sequence[naming.ArgNames]) -> Call:
    return Call("", tuple(a.name for a in args), "[]")


def _not_implemented(name: str, layout: Layout) -> str:
    return statement(2, Call("raise _rt.not_implemented", (pystr(name),)), layout)


def _statements(depth: int, nodes: Sequence[Call], layout: Layout) -> str:
    """Several statements, for one template line at ``depth``."""
    return ("\n" + "    " * depth).join(statement(depth, n, layout) for n in nodes)


# --------------------------------------------------------------------------- views


class ResultClassView(NamedTuple):
    name: str
    docstring: str
    fields: tuple[naming.ArgNames, ...]


class MethodView(NamedTuple):
    # the code lines (laid out by qdbusgen.layout) are for a template line at the depth
    # the template places them: defs at 1, bodies at 2, spec entries inside the mapping
    dbus_name: str
    name: str
    in_args: tuple[naming.ArgNames, ...]
    out_args: tuple[naming.ArgNames, ...]
    in_signature: str
    out_signature: str
    no_reply: bool
    multiple_out: bool
    single_out: bool
    result_class: str | None
    client_return: str
    server_return: str
    docstring: str
    server_docstring: str
    deprecation: str | None
    decorator: str | None
    client_def: str
    client_body: str
    server_def: str
    server_body: str
    spec: Call


class PropertyView(NamedTuple):
    dbus_name: str
    signature: str
    access: str
    readable: bool
    writable: bool
    emits: str
    getter: str
    setter: str
    notifier: str | None
    server_getter: str | None
    server_setter: str | None
    recv_type: str
    send_type: str
    get_docstring: str
    set_docstring: str
    server_get_docstring: str
    server_set_docstring: str
    notify_docstring: str
    deprecation: str | None
    decorator: str | None
    getter_def: str
    getter_body: str
    setter_def: str
    setter_body: str
    server_getter_def: str
    server_getter_body: str
    server_setter_def: str
    server_setter_body: str
    notifier_def: str
    notifier_body: str
    spec: Call


class SignalView(NamedTuple):
    dbus_name: str
    signature: str
    args: tuple[naming.ArgNames, ...]
    on_name: str
    stream_name: str
    emit_name: str
    tuple_class: str
    callback_types: str
    on_docstring: str
    stream_docstring: str
    emit_docstring: str
    deprecation: str | None
    decorator: str | None
    on_def: str
    on_body: str
    stream_def: str
    stream_body: str
    emit_def: str
    emit_body: str
    spec: Call


class InterfaceView(NamedTuple):
    name: str
    module: str
    source_file: str
    constant: str
    proxy_class: str
    server_class: str
    module_docstring: str
    proxy_docstring: str
    server_docstring: str
    methods: tuple[MethodView, ...]
    properties: tuple[PropertyView, ...]
    signals: tuple[SignalView, ...]
    result_classes: tuple[ResultClassView, ...]
    changed_class: str | None
    changed_properties: tuple[PropertyView, ...]
    changed_docstring: str
    watch_name: str
    watch_docstring: str
    introspection_xml: str
    uses_deprecated: bool
    deprecation: str | None
    exports: tuple[str, ...]
    layout: Layout
    decorator: str | None
    constant_line: str
    watch_def: str
    watch_body: str
    methods_mapping: str
    properties_mapping: str
    signals_mapping: str
    introspection_line: str
    #: The proxy's ``_TOLERANT_SIGNALS`` line (signals annotated
    #: org.qdbusgen.Signal.Tolerant=true), or None.
    tolerant_line: str | None = None
    #: TypedDict ``<Base>Properties`` (every readable property) and the proxy's typed
    #: ``get_all``; None / "" when no property is readable.
    properties_class: str | None = None
    readable_properties: tuple[PropertyView, ...] = ()
    properties_docstring: str = ""
    get_all_def: str = ""
    get_all_docstring: str = ""
    get_all_body: str = ""


class ModuleExports(NamedTuple):
    module: str
    exports: tuple[str, ...]


class PackageView(NamedTuple):
    name: str
    sources: str
    docstring: str
    modules: tuple[ModuleExports, ...]
    runtime_module: str = RUNTIME_PACKAGE
    runtime_exports: tuple[str, ...] = RUNTIME_EXPORTS
    exports: tuple[str, ...] = ()


# --------------------------------------------------------------------------- docs


def _doc_body(doc: Doc, fallback: str) -> list[str]:
    parts = [doc.text] if doc.text else [fallback]
    notes = []
    if doc.since:
        notes.append(f"Since: {doc.since}")
    if doc.deprecated is not None:
        notes.append(f"Deprecated: {doc.deprecated}" if doc.deprecated else "Deprecated.")
    if notes:
        parts.append("\n".join(notes))
    return parts


def _arg_lines(args: Sequence[naming.ArgNames], indent: str = "    ") -> str:
    lines = []
    for view in args:
        arg = view.arg
        text = " ".join(arg.doc.text.split()) if arg.doc.text else ""
        desc = f"{text} " if text else ""
        lines.append(f"{indent}{view.name}: {desc}(D-Bus ``{arg.signature}``)".rstrip())
    return "\n".join(lines)


_FD_SENT = (
    "File descriptors sent are copied: yours stay open and yours to close "
    "(wrap one in transfer_fd() to hand it over instead)."
)
_FD_RECEIVED = "File descriptors received are new ones, owned by you: close them when done."
_FD_IN_VARIANT_RECEIVED = (
    "Variants received may carry file descriptors: they are new ones, owned by you: close them "
    "when done."
)
_FD_IN_VARIANT_HANDLER = (
    "Variants in the arguments may carry file descriptors: the runtime closes them when this "
    "handler returns, unless the handler keeps one with keep_fd(fd) and then closes it itself."
)
_FD_IN_VARIANT_SENT = (
    "File descriptors sent inside variants are copied: yours stay open and yours to close."
)


def _fd_notes(in_sig: str, out_sig: str, *, server: bool) -> list[str]:
    """The fd ownership notes of a method's docstring (client or server side)."""
    notes: list[str] = []
    sent, received = (out_sig, in_sig) if server else (in_sig, out_sig)
    if "h" in sent:
        notes.append(_FD_SENT)
    elif "v" in sent:
        notes.append(_FD_IN_VARIANT_SENT)
    if "h" in received:
        notes.append(_FD_RECEIVED)
    if "v" in received:
        notes.append(_FD_IN_VARIANT_HANDLER if server else _FD_IN_VARIANT_RECEIVED)
    return notes


def _join(parts: Sequence[str]) -> str:
    return "\n\n".join(p for p in parts if p)


def _deprecation(deprecated: bool, doc: Doc, what: str) -> str | None:
    if not deprecated:
        return None
    reason = " ".join((doc.deprecated or "").split())
    return f"{what} is deprecated" + (f": {reason}" if reason else ".")


# --------------------------------------------------------------------------- building


class _Builder:
    def __init__(self, names: naming.InterfaceNames, source_file: str) -> None:
        self.names = names
        self.source_file = source_file
        self.layout = Layout()

    def method(
        self, iface: Interface, mn: naming.MethodNames
    ) -> tuple[MethodView, ResultClassView | None]:
        method = mn.method
        ins = mn.in_args
        outs = mn.out_args
        multiple = mn.result_class is not None
        single = len(outs) == 1 and not method.no_reply
        result_class = mn.result_class
        client_return = mn.client_return
        server_return = mn.server_return
        signature = f"``{method.name}({method.in_signature}) -> ({method.out_signature})``"
        body = _doc_body(method.doc, f"Call the D-Bus method ``{method.name}``.")
        sections = list(body)
        if ins:
            sections.append("Args:\n" + _arg_lines(ins))
        if single:
            out_doc = " ".join(method.out_args[0].doc.text.split())
            sections.append(
                f"Returns:\n    {out_doc or outs[0].name} (D-Bus ``{outs[0].arg.signature}``)"
            )
        elif multiple and not method.no_reply:
            sections.append(
                f"Returns:\n    {result_class}, a named tuple:\n" + _arg_lines(outs, "        ")
            )
        if method.no_reply:
            sections.append(
                "The method is marked NoReply: the call is sent without waiting for an answer."
            )
            if outs:
                sections.append(
                    "Out args (declared, but a NoReply call never receives them):\n"
                    + _arg_lines(outs)
                )
        sections.extend(_fd_notes(method.in_signature, method.out_signature, server=False))
        sections.append(
            "Raises:\n    DBusError: the peer answered with a D-Bus error (its name is in ``.name``)."
        )
        sections.append(f"D-Bus: {signature}")
        client_doc = _join(sections)
        server_sections = list(body)
        if ins:
            server_sections.append("Args:\n" + _arg_lines(ins))
        if len(outs) == 1:
            server_sections.append("Returns:\n" + _arg_lines(outs))
        elif multiple:
            server_sections.append(
                "Returns:\n    A tuple (or "
                + str(result_class)
                + ") of:\n"
                + _arg_lines(outs, "        ")
            )
        server_sections.extend(_fd_notes(method.in_signature, method.out_signature, server=True))
        server_sections.append(
            "Override this handler. Raise DBusError to answer with a D-Bus error; "
            "the default answers org.freedesktop.DBus.Error.NotSupported."
        )
        server_sections.append(f"D-Bus: {signature}")
        lay = self.layout
        deprecation = _deprecation(
            method.deprecated, method.doc, f"D-Bus method {iface.name}.{method.name}"
        )
        call_args = (pystr(method.name), pystr(method.in_signature), _arg_list(ins))
        if method.no_reply:
            calls = [Call("await self._call", (*call_args, '""', "no_reply=True"))]
        elif result_class:
            calls = [
                Call("_reply = await self._call", (*call_args, pystr(method.out_signature))),
                Call(f"return {result_class}._make", ("_reply",)),
            ]
        elif single:
            calls = [
                Call("_reply = await self._call", (*call_args, pystr(method.out_signature))),
                Call("return _t.cast", (pystr(client_return), "_reply[0]")),
            ]
        else:
            calls = [Call("await self._call", (*call_args, '""'))]
        view = MethodView(
            dbus_name=method.name,
            name=mn.name,
            in_args=ins,
            out_args=outs,
            in_signature=method.in_signature,
            out_signature=method.out_signature,
            no_reply=method.no_reply,
            multiple_out=multiple,
            single_out=single,
            result_class=result_class,
            client_return=client_return,
            server_return=server_return,
            docstring=client_doc,
            server_docstring=_join(server_sections),
            deprecation=deprecation,
            decorator=_decorator(1, deprecation, lay),
            client_def=function(
                1,
                f"async def {mn.name}",
                ["self", *(f"{a.name}: {a.send_type}" for a in ins)],
                client_return,
                lay,
            ),
            client_body=_statements(2, calls, lay),
            server_def=function(
                1,
                f"async def {mn.name}",
                ["self", *(f"{a.name}: {a.recv_type}" for a in ins)],
                server_return,
                lay,
            ),
            server_body=_not_implemented(method.name, lay),
            spec=Call(
                f"{pystr(method.name)}: _rt.MethodSpec",
                (
                    pystr(method.name),
                    pystr(method.in_signature),
                    pystr(method.out_signature),
                    pystr(mn.name),
                    f"no_reply={method.no_reply}",
                    f"multiple_out={multiple}",
                ),
            ),
        )
        result = None
        if multiple and result_class is not None:
            result = ResultClassView(
                name=result_class,
                docstring=_join(
                    [
                        f"The out args of ``{iface.name}.{method.name}``.",
                        "Fields:\n" + _arg_lines(outs),
                    ]
                ),
                fields=outs,
            )
        return view, result

    def property(self, iface: Interface, pn: naming.PropertyNames) -> PropertyView:
        prop = pn.prop
        assert prop.access is not None, "generation runs only on valid properties"
        recv = pn.recv_type
        send = pn.send_type
        body = _doc_body(prop.doc, f"The D-Bus property ``{prop.name}``.")
        tail = f"D-Bus: property ``{prop.name}`` of type ``{prop.signature}``, {prop.access.value}, EmitsChangedSignal={prop.emits_changed.value}"
        notifies = prop.emits_changed in (EmitsChanged.TRUE, EmitsChanged.INVALIDATES)
        lay = self.layout
        deprecation = _deprecation(
            prop.deprecated, prop.doc, f"D-Bus property {iface.name}.{prop.name}"
        )
        name, sig = pystr(prop.name), pystr(prop.signature)
        getter = pn.getter or ""
        setter = pn.setter or ""
        notifier = pn.notifier if notifies else None
        return PropertyView(
            dbus_name=prop.name,
            signature=prop.signature,
            access=prop.access.value,
            readable=prop.access.readable,
            writable=prop.access.writable,
            emits=prop.emits_changed.value,
            getter=getter,
            setter=setter,
            notifier=notifier,
            server_getter=pn.getter,
            server_setter=pn.setter,
            recv_type=recv,
            send_type=send,
            get_docstring=_join([*body, tail]),
            set_docstring=_join([*body, "Write the property (a D-Bus Properties.Set call).", tail]),
            server_get_docstring=_join([*body, "Override to return the current value.", tail]),
            server_set_docstring=_join(
                [
                    *body,
                    "Override to accept a new value; raise DBusError to refuse it."
                    + (
                        " When it returns, the runtime sends PropertiesChanged (do not notify here)."
                        if notifier
                        else ""
                    ),
                    tail,
                ]
            ),
            notify_docstring=_join(
                [
                    (
                        f"Tell clients ``{prop.name}`` is now ``value``: PropertiesChanged carries it."
                        if prop.emits_changed is EmitsChanged.TRUE
                        else f"Tell clients ``{prop.name}`` changed: PropertiesChanged lists it as "
                        "invalidated (EmitsChangedSignal=invalidates), without a value."
                    ),
                    (
                        "A Properties.Set from a client notifies by itself: call this when the "
                        "value changes otherwise."
                        if prop.access.writable
                        else ""
                    ),
                    tail,
                ]
            ),
            deprecation=deprecation,
            decorator=_decorator(1, deprecation, lay),
            getter_def=function(1, f"async def {getter}", ["self"], recv, lay),
            getter_body=statement(
                2,
                Call(
                    "return _t.cast",
                    (pystr(recv), Call("await self._get_property", (name, sig))),
                ),
                lay,
            ),
            setter_def=function(1, f"async def {setter}", ["self", f"value: {send}"], "None", lay),
            setter_body=statement(2, Call("await self._set_property", (name, sig, "value")), lay),
            server_getter_def=function(1, f"async def {getter}", ["self"], send, lay),
            server_getter_body=_not_implemented(prop.name, lay),
            server_setter_def=function(
                1, f"async def {setter}", ["self", f"value: {recv}"], "None", lay
            ),
            server_setter_body=_not_implemented(prop.name, lay),
            notifier_def=(
                function(
                    1,
                    f"def {notifier}",
                    (
                        ["self", f"value: {send}"]
                        if prop.emits_changed is EmitsChanged.TRUE
                        else ["self"]
                    ),
                    "None",
                    lay,
                )
                if notifier
                else ""
            ),
            notifier_body=statement(
                2,
                Call(
                    "self._emit_properties_changed",
                    (name, "value") if prop.emits_changed is EmitsChanged.TRUE else (name,),
                ),
                lay,
            ),
            spec=Call(
                f"{name}: _rt.PropertySpec",
                (
                    name,
                    sig,
                    pystr(prop.access.value),
                    pystr(prop.emits_changed.value),
                    f"getter={pyliteral(pn.getter)}",
                    f"setter={pyliteral(pn.setter)}",
                ),
            ),
        )

    def signal(
        self, iface: Interface, sn: naming.SignalNames
    ) -> tuple[SignalView, ResultClassView]:
        signal = sn.signal
        args = sn.args
        body = _doc_body(signal.doc, f"The D-Bus signal ``{signal.name}``.")
        arg_section = ["Args:\n" + _arg_lines(args)] if args else []
        tail = f"D-Bus: signal ``{signal.name}({signal.signature})``"
        lay = self.layout
        deprecation = _deprecation(
            signal.deprecated, signal.doc, f"D-Bus signal {iface.name}.{signal.name}"
        )
        name, sig = pystr(signal.name), pystr(signal.signature)
        callback_types = ", ".join(a.recv_type for a in args)
        fd_note = _fd_notes("", signal.signature, server=False)
        view = SignalView(
            dbus_name=signal.name,
            signature=signal.signature,
            args=args,
            on_name=sn.on_name,
            stream_name=sn.stream_name,
            emit_name=sn.emit_name,
            tuple_class=sn.tuple_class,
            callback_types=callback_types,
            on_docstring=_join(
                [
                    *body,
                    f"Call ``callback`` with a ``{sn.tuple_class}`` for every ``{signal.name}`` signal "
                    "(a coroutine callback runs as a task): "
                    f"``async with proxy.{sn.on_name}(callback): ...``, or "
                    f"``sub = await proxy.{sn.on_name}(callback)`` and later ``await sub.close()``.",
                    *fd_note,
                    tail,
                ]
            ),
            stream_docstring=_join(
                [
                    *body,
                    f"A stream of ``{sn.tuple_class}``, one per ``{signal.name}`` signal: "
                    f"``async with proxy.{sn.stream_name}() as stream: async for event in stream: ...`` "
                    f"(leaving the block unsubscribes), or ``stream = await proxy.{sn.stream_name}()`` "
                    "and later ``await stream.close()``.",
                    "At most ``maxsize`` signals wait unread (0: no bound); when the queue is full, "
                    '``overflow="drop_oldest"`` drops the oldest and counts it in ``stream.dropped``, '
                    '``overflow="raise"`` drops the new one and the next read raises '
                    "SignalOverflowError.",
                    *fd_note,
                    tail,
                ]
            ),
            emit_docstring=_join(
                [*body, *arg_section, "Emit the signal to every subscribed client.", tail]
            ),
            deprecation=deprecation,
            decorator=_decorator(1, deprecation, lay),
            on_def=function(
                1,
                f"def {sn.on_name}",
                ["self", f"callback: _t.Callable[[{sn.tuple_class}], object]"],
                "_rt.Subscription",
                lay,
            ),
            on_body=statement(
                2,
                Call(
                    "return self._subscribe",
                    (name, "callback", f"{sn.tuple_class}._make", f"signature={sig}"),
                ),
                lay,
            ),
            stream_def=function(
                1,
                f"def {sn.stream_name}",
                [
                    "self",
                    "*",
                    "maxsize: int = _rt.DEFAULT_STREAM_MAXSIZE",
                    'overflow: _rt.Overflow = "drop_oldest"',
                ],
                f"_rt.SignalStream[{sn.tuple_class}]",
                lay,
            ),
            stream_body=statement(
                2,
                Call(
                    "return self._signals",
                    (
                        name,
                        f"{sn.tuple_class}._make",
                        f"signature={sig}",
                        "maxsize=maxsize",
                        "overflow=overflow",
                    ),
                ),
                lay,
            ),
            emit_def=function(
                1,
                f"def {sn.emit_name}",
                ["self", *(f"{a.name}: {a.send_type}" for a in args)],
                "None",
                lay,
            ),
            emit_body=statement(2, Call("self._emit_signal", (name, sig, _arg_list(args))), lay),
            spec=Call(f"{name}: _rt.SignalSpec", (name, sig)),
        )
        result = ResultClassView(
            name=sn.tuple_class,
            docstring=_join(
                [f"The args of the ``{iface.name}.{signal.name}`` signal."]
                + (["Fields:\n" + _arg_lines(args)] if args else [])
            ),
            fields=args,
        )
        return view, result

    def interface(self) -> InterfaceView:
        inames = self.names
        iface = inames.interface
        methods: list[MethodView] = []
        results: list[ResultClassView] = []
        for mn in inames.methods:
            mv, rv = self.method(iface, mn)
            methods.append(mv)
            if rv is not None:
                results.append(rv)
        props = tuple(self.property(iface, p) for p in inames.properties)
        signals: list[SignalView] = []
        for sn in inames.signals:
            sv, rv2 = self.signal(iface, sn)
            signals.append(sv)
            results.append(rv2)
        changed = tuple(p for p in props if p.notifier is not None)
        changed_class = inames.changed_class
        body = _doc_body(iface.doc, f"The D-Bus interface ``{iface.name}``.")
        exports = list(inames.exports)
        deprecation = _deprecation(iface.deprecated, iface.doc, f"D-Bus interface {iface.name}")
        uses_deprecated = (
            deprecation is not None
            or any(m.deprecation is not None for m in methods)
            or any(p.deprecation is not None for p in props)
            or any(s.deprecation is not None for s in signals)
        )
        tolerant = tuple(sorted(sn.signal.name for sn in inames.signals if sn.signal.tolerant))
        lay = self.layout
        tolerant_line = (
            statement(
                1,
                "_TOLERANT_SIGNALS: _t.ClassVar[frozenset[str]] = frozenset({"
                + ", ".join(pystr(t) for t in tolerant)
                + "})",
                lay,
            )
            if tolerant
            else None
        )
        xml = interface_xml(iface)
        watch_call = Call(
            "return self._watch_properties",
            (
                Call(
                    "lambda _changed, _invalidated: callback",
                    (Call("_t.cast", (pystr(changed_class or ""), "_changed")), "_invalidated"),
                ),
            ),
        )
        props_class = inames.properties_class
        if inames.properties_in_object_manager:
            props_class = None
        readable_props = tuple(p for p in props if p.readable) if props_class else ()
        return InterfaceView(
            properties_class=props_class,
            readable_properties=readable_props,
            properties_docstring=(
                f"{props_class}: every readable property of {iface.name}, by D-Bus name, "
                "as Properties.GetAll returns them (a server may leave some out)."
                if props_class
                else ""
            ),
            get_all_def=(
                function(1, f"async def {inames.get_all_name}", ["self"], props_class, lay)
                if props_class
                else ""
            ),
            get_all_docstring=(
                f"Read every property of ``{iface.name}`` at once (Properties.GetAll), "
                "by D-Bus name; properties the server does not implement are left out."
            ),
            get_all_body=(
                statement(
                    2,
                    Call("return _t.cast", (pystr(props_class), "await self._get_all()")),
                    lay,
                )
                if props_class
                else ""
            ),
            tolerant_line=tolerant_line,
            name=iface.name,
            module=inames.module,
            source_file=self.source_file,
            constant=inames.constant,
            proxy_class=inames.proxy_class,
            server_class=inames.server_class,
            module_docstring=_join(
                [f"Typed client and server stubs for the D-Bus interface ``{iface.name}``.", *body]
            ),
            proxy_docstring=_join(
                [
                    f"Client proxy for ``{iface.name}``.",
                    *body,
                    f"Obtain one with ``await {inames.proxy_class}.new(bus_or_address, service, path)``; "
                    "on a peer-to-peer connection pass ``service=None``."
                    + (
                        " Signal subscriptions and streams open with ``async with`` (or ``await``) "
                        "and end with ``close()``; ``await proxy.close()`` ends them all."
                        if inames.signals or changed_class
                        else ""
                    ),
                ]
            ),
            server_docstring=_join(
                [
                    f"Server base class for ``{iface.name}``: subclass it, override the handlers, "
                    "then ``export(bus, path)``.",
                    *body,
                ]
            ),
            methods=tuple(methods),
            properties=props,
            signals=tuple(signals),
            result_classes=tuple(results),
            changed_class=changed_class,
            changed_properties=changed,
            changed_docstring=(
                f"{changed_class}: the properties of {iface.name} a PropertiesChanged signal can carry, "
                "by D-Bus name (EmitsChangedSignal=invalidates ones arrive in the invalidated list only)."
            ),
            watch_name=inames.watch_name or "",
            watch_docstring=_join(
                [
                    f"Call ``callback(changed, invalidated)`` on every PropertiesChanged signal for ``{iface.name}`` "
                    "(``async with`` it, or ``await`` it and later ``close()`` it, as ``on_*`` subscriptions).",
                    "``changed`` maps D-Bus property names to new values; ``invalidated`` lists names whose "
                    "new value was not sent (read them again). Properties marked EmitsChangedSignal=const or "
                    "false never appear.",
                ]
            ),
            introspection_xml=xml,
            uses_deprecated=uses_deprecated,
            deprecation=deprecation,
            exports=tuple(exports),
            layout=lay,
            decorator=_decorator(0, deprecation, lay),
            constant_line=assign_literal(0, f"{inames.constant}: _t.Final", pystr(iface.name), lay),
            watch_def=(
                function(
                    1,
                    f"def {inames.watch_name}",
                    ["self", f"callback: _t.Callable[[{changed_class}, list[str]], object]"],
                    "_rt.Subscription",
                    lay,
                )
                if changed_class
                else ""
            ),
            watch_body=statement(2, watch_call, lay) if changed_class else "",
            methods_mapping=mapping(
                1,
                "_METHODS: _t.ClassVar[_t.Mapping[str, _rt.MethodSpec]]",
                [m.spec for m in methods],
                lay,
            ),
            properties_mapping=mapping(
                1,
                "_PROPERTIES: _t.ClassVar[_t.Mapping[str, _rt.PropertySpec]]",
                [p.spec for p in props],
                lay,
            ),
            signals_mapping=mapping(
                1,
                "_SIGNALS: _t.ClassVar[_t.Mapping[str, _rt.SignalSpec]]",
                [s.spec for s in signals],
                lay,
            ),
            introspection_line=assign_literal(
                1, "_INTROSPECTION_XML: _t.ClassVar[str]", pystr(xml), lay
            ),
        )


class ObjectManagerInterface(NamedTuple):
    dbus_name: str
    module: str
    proxy_class: str
    properties_class: str
    properties: tuple[naming.PropertyNames, ...]
    properties_comment: str
    #: The TypedDict is defined in the object_manager module (no readable property:
    #: the interface's module has none); otherwise it is imported from the module.
    defined_here: bool = True


class ObjectManagerView(NamedTuple):
    sources: str
    docstring: str
    runtime_import: str
    client: bool
    interfaces: tuple[ObjectManagerInterface, ...]
    exports: tuple[str, ...]


def _render_object_manager(
    env: jinja2.Environment,
    files: dict[str, str],
    interfaces: Sequence[tuple[Interface, str]],
    names: naming.Names,
    sources: list[str],
    client: bool,
    runtime_import: str,
) -> tuple[str, ...]:
    """Render ``object_manager.py``; returns its exports."""
    items: list[ObjectManagerInterface] = []
    for iface, _source in interfaces:
        inames = names.interface(iface.name)
        assert inames.properties_class is not None
        readable = tuple(p for p in inames.properties if p.readable)
        items.append(
            ObjectManagerInterface(
                iface.name,
                inames.module,
                inames.proxy_class,
                inames.properties_class,
                readable,
                f"The readable properties of ``{iface.name}``, as GetManagedObjects and "
                "InterfacesAdded carry them.",
                inames.properties_in_object_manager,
            )
        )
    exports = [i.properties_class for i in items if i.defined_here] + [
        n for n in naming.OBJECT_MANAGER_NAMES if client or n != "ObjectManagerProxy"
    ]
    if client:
        exports.append("PROXY_CLASSES")
    view = ObjectManagerView(
        sources=", ".join(sources),
        docstring=_join(
            [
                "Typed ``org.freedesktop.DBus.ObjectManager`` client for the interfaces of this "
                "package.",
                "The server side is the runtime's ``ObjectManagerServer``: export it at the root "
                "of your tree and ``await manager.add(path, server...)``.",
            ]
        ),
        runtime_import=runtime_import,
        client=client,
        interfaces=tuple(items),
        exports=tuple(exports),
    )
    text = env.get_template("object_manager.py.jinja").render(om=view)
    module = f"{naming.OBJECT_MANAGER_MODULE}.py"
    files[module] = format_python(text, module)
    return view.exports


class RenderedPackage(NamedTuple):
    files: dict[str, str]


def runtime_import(vendor_runtime: bool) -> str:
    """How a generated module imports the runtime (as ``_rt``): the installed
    ``qdbusgen_runtime``, checked at import against the version this qdbusgen targets, or
    the package's own copy."""
    if vendor_runtime:
        return f"from . import {VENDORED_RUNTIME} as _rt"
    return f'import {RUNTIME_PACKAGE} as _rt\n\n_rt.require_version("{runtime_api()}", __name__)'


def render_package(
    interfaces: Sequence[tuple[Interface, str]],
    names: naming.Names,
    options: GenerateOptions,
) -> RenderedPackage:
    """Render every file of the package ``options.package``. ``interfaces`` pairs each
    interface with the basename of the file it came from; ``options.object_manager`` is
    as :func:`qdbusgen.generate.render_files` resolved it (None: no ObjectManager module).

    The modules import the installed runtime distribution (``qdbusgen_runtime``), unless
    ``options.vendor_runtime``: then a copy of it goes into the package as ``_runtime/`` and
    the package imports nothing of qdbusgen's (a drop-in directory for hosts without pip).
    """
    package, client, server = options.package, options.client, options.server
    if package is None:
        raise ValueError("render_package needs options.package")
    vendor_runtime = options.vendor_runtime
    rt_import = runtime_import(vendor_runtime)
    env = environment()
    module_template = env.get_template("module.py.jinja")
    files: dict[str, str] = {}
    modules: list[ModuleExports] = []
    for iface, source in interfaces:
        view = _Builder(names.interface(iface.name), source).interface()
        exports = tuple(
            n
            for n in view.exports
            if (client or n != view.proxy_class) and (server or n != view.server_class)
        )
        view = view._replace(exports=exports)
        text = module_template.render(
            iface=view,
            client=client,
            server=server,
            runtime_import=rt_import,
            layout=view.layout,
        )
        files[f"{view.module}.py"] = format_python(text, f"{view.module}.py", view.layout)
        modules.append(ModuleExports(view.module, exports))
    modules.sort(key=lambda m: m.module)
    sources = sorted({source for _, source in interfaces})
    all_exports = sorted({n for m in modules for n in m.exports} | set(RUNTIME_EXPORTS))
    pkg = PackageView(
        name=package,
        sources=", ".join(sources),
        docstring=_join(
            [
                f"``{package}``: typed D-Bus stubs generated by qdbusgen from {', '.join(sources)}.",
                "Interfaces: " + ", ".join(sorted(i.name for i, _ in interfaces)) + ".",
            ]
        ),
        modules=tuple(modules),
        runtime_module=f".{VENDORED_RUNTIME}" if vendor_runtime else RUNTIME_PACKAGE,
        exports=tuple(all_exports),
    )
    if options.object_manager:
        om_exports = _render_object_manager(
            env, files, interfaces, names, sources, client, rt_import
        )
        pkg = pkg._replace(
            modules=tuple(
                sorted(
                    [*pkg.modules, ModuleExports(naming.OBJECT_MANAGER_MODULE, om_exports)],
                    key=lambda m: m.module,
                )
            ),
            exports=tuple(sorted({*pkg.exports, *om_exports})),
        )
    init_layout = Layout()
    init = env.get_template("package_init.py.jinja").render(package=pkg, layout=init_layout)
    files["__init__.py"] = format_python(init, "__init__.py", init_layout)
    if vendor_runtime:
        for name, text in runtime_files().items():
            files[f"{VENDORED_RUNTIME}/{name}"] = text
    files["py.typed"] = ""
    return RenderedPackage(files)
