"""Render the model into a generated package: views with every name, type string and text
ready (built here, in Python), placed by the jinja2 templates in ``templates/``, then
formatted with black. No logic lives in the templates.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import jinja2

from . import naming
from .format import format_python
from .introspect_xml import interface_xml
from .model import Doc, EmitsChanged, Interface
from .pysource import comment, docstring, pyliteral
from .resources import RUNTIME_FILE, cache_dir, runtime_source, templates_dir

#: Names the package re-exports from its runtime module: the runtime's ``__all__``.
RUNTIME_EXPORTS = tuple(sorted(naming.RUNTIME_EXPORTS))


@functools.cache
def environment() -> jinja2.Environment:
    """The jinja2 environment (built once per process: compiling templates is costly)."""
    cache = cache_dir()
    bytecode_cache = None
    if cache is not None:
        try:
            (cache / "jinja").mkdir(parents=True, exist_ok=True)
            bytecode_cache = jinja2.FileSystemBytecodeCache(str(cache / "jinja"))
        except OSError:
            pass  # no cache: templates are compiled on every run
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        bytecode_cache=bytecode_cache,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update({"pyliteral": pyliteral, "docstring": docstring, "comment": comment})
    return env


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ResultClassView:
    name: str
    docstring: str
    fields: tuple[naming.ArgNames, ...]


@dataclass(frozen=True)
class MethodView:
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


@dataclass(frozen=True)
class PropertyView:
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


@dataclass(frozen=True)
class SignalView:
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


@dataclass(frozen=True)
class InterfaceView:
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


@dataclass(frozen=True)
class ModuleExports:
    module: str
    exports: tuple[str, ...]


@dataclass(frozen=True)
class PackageView:
    name: str
    sources: str
    docstring: str
    modules: tuple[ModuleExports, ...]
    runtime_module: str = "._runtime"
    runtime_exports: tuple[str, ...] = RUNTIME_EXPORTS
    exports: tuple[str, ...] = field(default=())


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
        elif multiple:
            sections.append(
                f"Returns:\n    {result_class}, a named tuple:\n" + _arg_lines(outs, "        ")
            )
        if method.no_reply:
            sections.append(
                "The method is marked NoReply: the call is sent without waiting for an answer."
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
        if single:
            server_sections.append(
                f"Returns:\n    {outs[0].name} (D-Bus ``{outs[0].arg.signature}``)"
            )
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
            deprecation=_deprecation(
                method.deprecated, method.doc, f"D-Bus method {iface.name}.{method.name}"
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
        return PropertyView(
            dbus_name=prop.name,
            signature=prop.signature,
            access=prop.access.value,
            readable=prop.access.readable,
            writable=prop.access.writable,
            emits=prop.emits_changed.value,
            getter=pn.getter or "",
            setter=pn.setter or "",
            notifier=pn.notifier if notifies else None,
            server_getter=pn.getter,
            server_setter=pn.setter,
            recv_type=recv,
            send_type=send,
            get_docstring=_join([*body, tail]),
            set_docstring=_join([*body, "Write the property (a D-Bus Properties.Set call).", tail]),
            server_get_docstring=_join([*body, "Override to return the current value.", tail]),
            server_set_docstring=_join(
                [*body, "Override to accept a new value; raise DBusError to refuse it.", tail]
            ),
            notify_docstring=_join(
                [
                    f"Tell clients ``{prop.name}`` changed: "
                    + (
                        "PropertiesChanged carries the new value."
                        if prop.emits_changed is EmitsChanged.TRUE
                        else "PropertiesChanged lists it as invalidated (EmitsChangedSignal=invalidates), without the value."
                    ),
                    tail,
                ]
            ),
            deprecation=_deprecation(
                prop.deprecated, prop.doc, f"D-Bus property {iface.name}.{prop.name}"
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
        fd_note = _fd_notes("", signal.signature, server=False)
        view = SignalView(
            dbus_name=signal.name,
            signature=signal.signature,
            args=args,
            on_name=sn.on_name,
            stream_name=sn.stream_name,
            emit_name=sn.emit_name,
            tuple_class=sn.tuple_class,
            callback_types=", ".join(a.recv_type for a in args),
            on_docstring=_join(
                [
                    *body,
                    f"Call ``callback`` with the args of every ``{signal.name}`` signal until the returned "
                    "Subscription is cancelled (a coroutine callback runs as a task).",
                    *fd_note,
                    tail,
                ]
            ),
            stream_docstring=_join(
                [
                    *body,
                    f"A stream of ``{sn.tuple_class}``, one per ``{signal.name}`` signal: "
                    f"``async with proxy.{sn.stream_name}() as stream: async for event in stream: ...`` "
                    "(leaving the block unsubscribes).",
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
            deprecation=_deprecation(
                signal.deprecated, signal.doc, f"D-Bus signal {iface.name}.{signal.name}"
            ),
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
        return InterfaceView(
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
                    "on a peer-to-peer connection pass ``service=None``.",
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
                    f"Call ``callback(changed, invalidated)`` on every PropertiesChanged signal for ``{iface.name}``.",
                    "``changed`` maps D-Bus property names to new values; ``invalidated`` lists names whose "
                    "new value was not sent (read them again). Properties marked EmitsChangedSignal=const or "
                    "false never appear.",
                ]
            ),
            introspection_xml=interface_xml(iface),
            uses_deprecated=uses_deprecated,
            deprecation=deprecation,
            exports=tuple(exports),
        )


@dataclass(frozen=True)
class RenderedPackage:
    files: dict[str, str]


def render_package(
    interfaces: Sequence[tuple[Interface, str]],
    names: naming.Names,
    *,
    package: str,
    client: bool = True,
    server: bool = True,
    runtime_package: str | None = None,
) -> RenderedPackage:
    """Render every file of the package. ``interfaces`` pairs each interface with the
    basename of the file it came from.

    The runtime support module is copied into the package as ``_runtime.py``, unless
    ``runtime_package`` names an importable package that already holds one (several
    generated packages can then share it).
    """
    runtime_from = "." if runtime_package is None else runtime_package
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
        view = dataclasses.replace(view, exports=exports)
        text = module_template.render(
            iface=view, client=client, server=server, runtime_from=runtime_from
        )
        files[f"{view.module}.py"] = format_python(text, f"{view.module}.py")
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
        runtime_module="._runtime" if runtime_package is None else f"{runtime_package}._runtime",
        exports=tuple(all_exports),
    )
    init = env.get_template("package_init.py.jinja").render(package=pkg)
    files["__init__.py"] = format_python(init, "__init__.py")
    if runtime_package is None:
        files[RUNTIME_FILE] = runtime_source()
    files["py.typed"] = ""
    return RenderedPackage(files)
