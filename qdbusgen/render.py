"""Render the model into a generated package: views with every name, type string and text
ready (built here, in Python), placed by the jinja2 templates in ``templates/``, then
formatted with black. No logic lives in the templates.
"""

from __future__ import annotations

import functools
import hashlib
import keyword
import re
import textwrap
from pathlib import Path
import importlib
from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import jinja2

from . import naming
from .format import format_python
from .layout import (
    Call,
    Layout,
    Node,
    assign_literal,
    comment_at,
    docstring_at,
    function,
    statement,
)
from .model import Annotation, Arg, Direction, Doc, EmitsChanged, Interface, annotation_value
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


def _field_name(name: str) -> bool:
    """Whether ``name`` can be a field of a class-form TypedDict as it is (no keyword, no
    private-name mangling)."""
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__")


def _decorator(depth: int, reason: str | None, layout: Layout) -> str | None:
    if reason is None:
        return None
    return statement(depth, Call("@_te.deprecated", (pystr(reason),)), layout)


def _arg_list(args: Sequence[naming.ArgNames]) -> Call:
    return Call("", tuple(a.name for a in args), "[]")


def _not_implemented(spec_name: str, layout: Layout) -> str:
    return statement(2, Call("raise _rt.not_implemented", (f"{spec_name}.name",)), layout)


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
    # the template places them: defs at 1, bodies at 2; ``spec`` is the module-level spec
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
    #: ``class <Proxy>(<base>):``, the base being ``_rt.PropertiesProxyBase[<Properties>,
    #: <PropertiesChanged>]`` (typed get_all / watch_properties) or ``_rt.ProxyBase``.
    proxy_head: str
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
    uses_deprecated: bool
    deprecation: str | None
    exports: tuple[str, ...]
    layout: Layout
    decorator: str | None
    constant_line: str
    watch_def: str
    watch_body: str
    #: The module-level specs, one statement per member (the proxy's calls and the
    #: server's ``_SPECS`` refer to them), and the server's ``_SPECS`` line.
    specs_block: str
    specs_line: str
    #: The server's ``_ANNOTATIONS`` line (the interface's annotations), or None.
    annotations_line: str | None
    #: The proxy's ``_TOLERANT_SIGNALS`` line (signals annotated
    #: org.qdbusgen.Signal.Tolerant=true), or None.
    tolerant_line: str | None = None
    #: TypedDict ``<Base>Properties`` (every readable property) and the proxy's typed
    #: ``get_all``; None / "" when no property is readable.
    properties_class: str | None = None
    readable_properties: tuple[PropertyView, ...] = ()
    #: The ``<properties_class>`` TypedDict statement.
    properties_line: str = ""
    get_all_def: str = ""
    get_all_docstring: str = ""
    get_all_body: str = ""
    #: The ``__all__`` statement (of ``exports``, once render_package has filtered them).
    all_line: str = ""
    #: The ``<changed_class> = _t.TypedDict(...)`` statement, when there is one.
    changed_line: str = ""


class ModuleExports(NamedTuple):
    module: str
    exports: tuple[str, ...]
    #: The package's ``from .module import ...`` statement (set before rendering it).
    import_line: str = ""


class PackageView(NamedTuple):
    name: str
    sources: str
    docstring: str
    modules: tuple[ModuleExports, ...]
    #: The runtime's names, re-exported: a star import (the runtime's ``__all__``) and the
    #: runtime module as ``_runtime``, whose ``__all__`` the package's extends.
    runtime_import: str = ""
    runtime_alias: str = VENDORED_RUNTIME
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


#: The depth of a member's docstring (in a class body) and of a class's.
_MEMBER_DEPTH = 2
_CLASS_DEPTH = 1


def _wrap(text: str, depth: int, indent: str = "", hanging: str = "", quotes: int = 0) -> str:
    """One paragraph line (``indent`` + ``text``) wrapped to fit 100 columns in a docstring
    at ``depth``, ``quotes`` columns left for the docstring's quotes; continuation lines get
    ``indent + hanging``. Words are never broken."""
    width = 100 - 4 * depth - quotes
    # an inline literal (``...``) and "(D-Bus ``t``)" are never broken: their spaces are
    # hidden from textwrap
    kept = _LITERAL.sub(lambda m: m.group().replace(" ", "\0"), text).replace("(D-Bus ", "(D-Bus\0")
    lines = textwrap.wrap(
        kept,
        width,
        initial_indent=indent,
        subsequent_indent=indent + hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines).replace("\0", " ") or indent.rstrip()


_LITERAL = re.compile(r"``[^`\0]+``")


def _paragraph(text: str, depth: int = _MEMBER_DEPTH) -> str:
    """A paragraph that may open a docstring, or be all of it (room for both quotes)."""
    return _wrap(text, depth, quotes=6)


def _arg_lines(
    args: Sequence[naming.ArgNames], indent: str = "    ", depth: int = _MEMBER_DEPTH
) -> str:
    lines = []
    for view in args:
        arg = view.arg
        text = " ".join(arg.doc.text.split()) if arg.doc.text else ""
        desc = f"{text} " if text else ""
        lines.append(
            _wrap(f"{view.name}: {desc}(D-Bus ``{arg.signature}``)", depth, indent, "    ")
        )
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
    "Variants in a handler's arguments may carry file descriptors: the runtime closes them "
    "when the handler returns, unless it keeps one with keep_fd(fd) and then closes it itself."
)
_FD_IN_VARIANT_SENT = (
    "File descriptors sent inside variants are copied: yours stay open and yours to close."
)


def _fd_notes(in_sig: str, out_sig: str, *, server: bool) -> list[str]:
    """The fd ownership notes of a class docstring (proxy or server), for its members' in
    and out signatures, concatenated."""
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


# --------------------------------------------------------------------------- specs
# A member's wire description is written once, as a module-level spec: the proxy's calls
# and the server's ``_SPECS`` refer to it, and the runtime builds Introspect's XML from it.


def _pairs(annotations: Sequence[Annotation]) -> Call:
    return Call("", tuple(Call("", (pystr(a.name), pystr(a.value))) for a in annotations), "[]")


def _spec_names(args: Sequence[Arg]) -> list[Node]:
    """The args' names, for the spec's ``args``: one string of names when they allow it
    (none missing, none with spaces), else a list (None for an unnamed arg)."""
    names = [a.name for a in args]
    if not args:
        return []
    if all(n is not None and n.split() == [n] for n in names):
        return [pystr(" ".join(n for n in names if n is not None))]
    return [Call("", tuple(pyliteral(n) for n in names), "[]")]


def _spec_annotations(args: Sequence[Arg], annotations: Sequence[Annotation]) -> list[Node]:
    """The spec's ``annotations`` and ``arg_annotations``, each only when there is one."""
    out: list[Node] = []
    if annotations:
        out.append(Call("annotations=", _pairs(annotations).args, "[]"))
    per_arg = tuple(
        Call(f"{i}: ", _pairs(a.annotations).args, "[]")
        for i, a in enumerate(args)
        if a.annotations
    )
    if per_arg:
        out.append(Call("arg_annotations=", per_arg, "{}"))
    return out


def _join(parts: Sequence[str]) -> str:
    return "\n\n".join(p for p in parts if p)


class _PropertyDocs(NamedTuple):
    get: str
    set: str
    server_get: str
    server_set: str
    notify: str


def _property_docs(
    pn: naming.PropertyNames, proxy_class: str | None, notifier: bool
) -> _PropertyDocs:
    """The docstrings of a property's accessors. The proxy's getter documents the property
    (its setter when write-only); the other accessors point to it, the server's to the
    proxy's (``proxy_class``) when a client is generated too; ``notifier``: the server
    has a ``notify_<property>`` method."""
    prop = pn.prop
    assert prop.access is not None, "generation runs only on valid properties"
    getter, setter = pn.getter or "", pn.setter or ""
    body = _doc_body(prop.doc, f"The D-Bus property ``{prop.name}``.")
    tail = _paragraph(
        f"D-Bus: property ``{prop.name}`` of type ``{prop.signature}``, "
        f"{prop.access.value}, EmitsChangedSignal={prop.emits_changed.value}"
    )
    full = _join([*body, tail])
    if proxy_class is not None:
        documented = f"{proxy_class}.{getter or setter}"
        server_get = _paragraph(f"Return the value of ``{prop.name}``: see ``{documented}``.")
        server_set = _paragraph(
            f"Accept a new value of ``{prop.name}``: see ``{documented}``."
            + (
                " When it returns, the runtime sends PropertiesChanged (do not notify here)."
                if notifier
                else ""
            )
        )
    else:
        server_get = server_set = full
    if prop.emits_changed is EmitsChanged.TRUE:
        carried = "PropertiesChanged carries the new value."
    else:
        carried = (
            "PropertiesChanged lists it as invalidated (EmitsChangedSignal=invalidates), "
            "without the value."
        )
    notify = _paragraph(
        f"Tell clients ``{prop.name}`` changed: "
        + carried
        + (
            " A client's Properties.Set notifies by itself: call this when the value "
            "changes otherwise."
            if prop.access.writable
            else ""
        )
    )
    return _PropertyDocs(
        get=full,
        set=(
            _paragraph(f"Write ``{prop.name}`` (a D-Bus Properties.Set call): see ``{getter}``.")
            if getter
            else full
        ),
        server_get=server_get,
        server_set=server_set,
        notify=notify,
    )


def _method_docs(mn: naming.MethodNames, proxy_class: str | None) -> tuple[str, str]:
    """The docstrings of a method: the proxy's, and the server handler's (which points to
    the proxy's, ``proxy_class``, when a client is generated too)."""
    method, ins, outs = mn.method, mn.in_args, mn.out_args
    multiple = mn.result_class is not None
    single = len(outs) == 1 and not method.no_reply
    result_class = mn.result_class
    signature = f"``{method.name}({method.in_signature}) -> ({method.out_signature})``"
    body = _doc_body(method.doc, f"Call the D-Bus method ``{method.name}``.")
    sections = list(body)
    if ins:
        sections.append("Args:\n" + _arg_lines(ins))
    if single:
        out_doc = " ".join(method.out_args[0].doc.text.split())
        sections.append(
            "Returns:\n"
            + _wrap(
                f"{out_doc or outs[0].name} (D-Bus ``{outs[0].arg.signature}``)",
                _MEMBER_DEPTH,
                "    ",
                "    ",
            )
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
                "Out args (declared, but a NoReply call never receives them):\n" + _arg_lines(outs)
            )
    client_doc = _join(sections)
    if proxy_class is not None:
        # the proxy's method documents the member; the handler points to it
        server_doc = _paragraph(f"Handle ``{method.name}`` calls: see ``{proxy_class}.{mn.name}``.")
    else:
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
        server_sections.append(f"D-Bus: {signature}")
        server_doc = _join(server_sections)
    return client_doc, server_doc


def _signal_docs(sn: naming.SignalNames, proxy_class: str | None) -> tuple[str, str, str]:
    """The docstrings of a signal: the proxy's ``on_<signal>`` (which documents it) and
    ``stream_<signal>``, and the server's ``emit_<signal>`` (which points to the proxy's,
    ``proxy_class``, when a client is generated too)."""
    signal, args = sn.signal, sn.args
    body = _doc_body(signal.doc, f"The D-Bus signal ``{signal.name}``.")
    arg_section = ["Args:\n" + _arg_lines(args)] if args else []
    tail = f"D-Bus: signal ``{signal.name}({signal.signature})``"
    on_doc = _join(
        [
            *body,
            *arg_section,
            _paragraph(
                f"Call ``callback`` with a ``{sn.tuple_class}`` for every "
                f"``{signal.name}`` signal (a coroutine callback runs as a task): ``async "
                f"with proxy.{sn.on_name}(callback): ...``, or ``sub = await "
                f"proxy.{sn.on_name}(callback)`` and later ``await sub.close()``."
            ),
            tail,
        ]
    )
    stream_doc = _paragraph(
        f"The ``{signal.name}`` signals as a stream of ``{sn.tuple_class}`` "
        f"(documented at ``{sn.on_name}``): ``async with "
        f"proxy.{sn.stream_name}() as stream: async for event in stream: ...`` "
        "(leaving the block unsubscribes), or ``stream = await "
        f"proxy.{sn.stream_name}()`` and later ``await stream.close()``."
    )
    if proxy_class is not None:
        emit_doc = _paragraph(
            f"Emit ``{signal.name}`` to every subscribed client: see "
            f"``{proxy_class}.{sn.on_name}``."
        )
    else:
        emit_doc = _join([*body, *arg_section, "Emit the signal to every subscribed client.", tail])
    return on_doc, stream_doc, emit_doc


def _deprecation(deprecated: bool, doc: Doc, what: str) -> str | None:
    if not deprecated:
        return None
    reason = " ".join((doc.deprecated or "").split())
    return f"{what} is deprecated" + (f": {reason}" if reason else ".")


# --------------------------------------------------------------------------- building


class _Builder:
    def __init__(self, names: naming.InterfaceNames, source_file: str, client: bool = True) -> None:
        self.names = names
        self.source_file = source_file
        #: whether the proxy is generated (the server's handlers then point to its docs)
        self.client = client
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
        client_doc, server_doc = _method_docs(mn, self.names.proxy_class if self.client else None)
        lay = self.layout
        deprecation = _deprecation(
            method.deprecated, method.doc, f"D-Bus method {iface.name}.{method.name}"
        )
        spec_name = f"_m_{mn.name}"
        call = Call("await self._call_spec", (spec_name, _arg_list(ins)))
        if result_class and not method.no_reply:
            calls = [Call(f"return {result_class}._make", (call,))]
        elif single:
            calls = [
                Call("_reply = " + call.head, call.args),
                Call("return _t.cast", (pystr(client_return), "_reply[0]")),
            ]
        else:
            calls = [call]
        declared = "".join("i" if a.direction is Direction.IN else "o" for a in method.args)
        options: list[Node] = []
        if method.no_reply:
            options.append("no_reply=True")
        if multiple:
            options.append("multiple_out=True")
        if declared != "i" * len(ins) + "o" * len(outs):
            options.append(f"directions={pystr(declared)}")
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
            server_docstring=server_doc,
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
            server_body=_not_implemented(spec_name, lay),
            spec=Call(
                f"{spec_name} = _rt.MethodSpec",
                (
                    pystr(method.name),
                    pystr(method.in_signature),
                    pystr(method.out_signature),
                    pystr(mn.name),
                    *_spec_names(method.args),
                    *options,
                    *_spec_annotations(method.args, method.annotations),
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
        notifies = prop.emits_changed in (EmitsChanged.TRUE, EmitsChanged.INVALIDATES)
        lay = self.layout
        deprecation = _deprecation(
            prop.deprecated, prop.doc, f"D-Bus property {iface.name}.{prop.name}"
        )
        name, sig = pystr(prop.name), pystr(prop.signature)
        getter = pn.getter or ""
        setter = pn.setter or ""
        notifier = pn.notifier if notifies else None
        spec_name = f"_p_{pn.stem}"
        docs = _property_docs(pn, self.names.proxy_class if self.client else None, bool(notifier))
        options: list[Node] = []
        if prop.emits_changed is not EmitsChanged.TRUE:
            options.append(pystr(prop.emits_changed.value))
        if pn.getter is not None:
            options.append(f"getter={pystr(pn.getter)}")
        if pn.setter is not None:
            options.append(f"setter={pystr(pn.setter)}")
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
            get_docstring=docs.get,
            set_docstring=docs.set,
            server_get_docstring=docs.server_get,
            server_set_docstring=docs.server_set,
            notify_docstring=docs.notify,
            deprecation=deprecation,
            decorator=_decorator(1, deprecation, lay),
            getter_def=function(1, f"async def {getter}", ["self"], recv, lay),
            getter_body=statement(
                2,
                Call(
                    "return _t.cast",
                    (pystr(recv), Call("await self._get_spec", (spec_name,))),
                ),
                lay,
            ),
            setter_def=function(1, f"async def {setter}", ["self", f"value: {send}"], "None", lay),
            setter_body=statement(2, Call("await self._set_spec", (spec_name, "value")), lay),
            server_getter_def=function(1, f"async def {getter}", ["self"], send, lay),
            server_getter_body=_not_implemented(spec_name, lay),
            server_setter_def=function(
                1, f"async def {setter}", ["self", f"value: {recv}"], "None", lay
            ),
            server_setter_body=_not_implemented(spec_name, lay),
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
                    (
                        (f"{spec_name}.name", "value")
                        if prop.emits_changed is EmitsChanged.TRUE
                        else (f"{spec_name}.name",)
                    ),
                ),
                lay,
            ),
            spec=Call(
                f"{spec_name} = _rt.PropertySpec",
                (
                    name,
                    sig,
                    pystr(prop.access.value),
                    *options,
                    *_spec_annotations((), prop.annotations),
                ),
            ),
        )

    def signal(
        self, iface: Interface, sn: naming.SignalNames
    ) -> tuple[SignalView, ResultClassView]:
        signal = sn.signal
        args = sn.args
        on_doc, stream_doc, emit_doc = _signal_docs(
            sn, self.names.proxy_class if self.client else None
        )
        lay = self.layout
        deprecation = _deprecation(
            signal.deprecated, signal.doc, f"D-Bus signal {iface.name}.{signal.name}"
        )
        spec_name = f"_s_{sn.stem}"
        name, sig = f"{spec_name}.name", f"{spec_name}.signature"
        callback_types = ", ".join(a.recv_type for a in args)
        view = SignalView(
            dbus_name=signal.name,
            signature=signal.signature,
            args=args,
            on_name=sn.on_name,
            stream_name=sn.stream_name,
            emit_name=sn.emit_name,
            tuple_class=sn.tuple_class,
            callback_types=callback_types,
            on_docstring=on_doc,
            stream_docstring=stream_doc,
            emit_docstring=emit_doc,
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
            spec=Call(
                f"{spec_name} = _rt.SignalSpec",
                (
                    pystr(signal.name),
                    pystr(signal.signature),
                    *_spec_names(signal.args),
                    *_spec_annotations(signal.args, signal.annotations),
                ),
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
        tolerant = tuple(sorted(sn.signal.name for sn in inames.signals if sn.signal.tolerant))
        lay = self.layout
        tolerant_line = (
            statement(
                1,
                "_TOLERANT_SIGNALS: _t.ClassVar[frozenset[str]] = frozenset({"
                + ", ".join(f"_s_{sn.stem}.name" for sn in inames.signals if sn.signal.tolerant)
                + "})",
                lay,
            )
            if tolerant
            else None
        )
        specs = [m.spec for m in methods] + [p.spec for p in props] + [s.spec for s in signals]
        spec_names = tuple(c.head.split(" = ")[0] for c in specs)
        client_sent = "".join(m.in_signature for m in methods)
        client_received = "".join(m.out_signature for m in methods) + "".join(
            s.signature for s in signals
        )
        calls_note = (
            " Calls raise DBusError for an error reply (its D-Bus name in ``.name``)."
            if methods or props
            else ""
        )
        streams_note = (
            [
                _paragraph(
                    "A signal stream keeps at most ``maxsize`` signals unread (0: no bound); when "
                    'it is full, ``overflow="drop_oldest"`` drops the oldest and counts it in '
                    '``stream.dropped``, ``overflow="raise"`` drops the new one and the next read '
                    "raises SignalOverflowError.",
                    _CLASS_DEPTH,
                )
            ]
            if signals
            else []
        )
        handlers_note = (
            " Handlers raise DBusError to answer with a D-Bus error; one not overridden answers "
            "org.freedesktop.DBus.Error.NotSupported."
            if methods or props
            else ""
        )
        fd_client = "".join(" " + n for n in _fd_notes(client_sent, client_received, server=False))
        fd_server = "".join(" " + n for n in _fd_notes(client_sent, client_received, server=True))
        described = "(see the module docstring)"
        watch_call = Call("return self._watch_properties", ("callback",))
        props_class = inames.properties_class
        if inames.properties_in_object_manager:
            props_class = None
        readable_props = tuple(p for p in props if p.readable) if props_class else ()
        changed_doc = (
            "The values a PropertiesChanged signal of this interface carries, by D-Bus name."
        )
        props_doc = "Every readable property, by D-Bus name, as Properties.GetAll returns them."
        readable_entries = [(p.dbus_name, p.recv_type) for p in readable_props]
        changed_entries = [(p.dbus_name, p.recv_type) for p in changed]
        properties_line = (
            _typed_dict(props_class, props_doc, readable_entries, lay) if props_class else ""
        )
        if changed_class and props_class and changed_entries == readable_entries:
            alias_doc = f"What PropertiesChanged carries: the keys of ``{props_class}``."
            changed_line = f"{changed_class}: _t.TypeAlias = {props_class}\n" + docstring_at(
                _paragraph(alias_doc, 0), 0, lay
            )
        elif changed_class:
            changed_line = _typed_dict(changed_class, changed_doc, changed_entries, lay)
        else:
            changed_line = ""
        # both typed helpers come from the runtime's generic PropertiesProxyBase base when the
        # interface has both TypedDicts; otherwise the proxy defines the one it has
        inherited = bool(props_class and changed_class)
        proxy_base: Node = (
            Call("_rt.PropertiesProxyBase", (str(props_class), str(changed_class)), "[]")
            if inherited
            else "_rt.ProxyBase"
        )
        return InterfaceView(
            proxy_head=statement(0, Call(f"class {inames.proxy_class}", (proxy_base,)), lay, ":"),
            properties_class=props_class,
            readable_properties=readable_props,
            properties_line=properties_line,
            get_all_def=(
                function(1, f"async def {inames.get_all_name}", ["self"], props_class, lay)
                if props_class and not inherited
                else ""
            ),
            get_all_docstring=(
                "Every property at once (Properties.GetAll); unimplemented ones are left out."
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
                [
                    _paragraph(
                        f"Typed client and server stubs for the D-Bus interface ``{iface.name}``.",
                        0,
                    ),
                    *body,
                ]
            ),
            proxy_docstring=_join(
                [
                    _paragraph(
                        f"Client proxy for ``{iface.name}`` {described}: ``await "
                        f"{inames.proxy_class}.new(bus_or_address, service, path)`` makes one "
                        "(``service=None`` on a peer-to-peer connection)." + calls_note + fd_client,
                        _CLASS_DEPTH,
                    ),
                    *(
                        [
                            _paragraph(
                                "Signal subscriptions and streams open with ``async with`` (or "
                                "``await``) and end with ``close()``; ``await proxy.close()`` "
                                "ends them all.",
                                _CLASS_DEPTH,
                            )
                        ]
                        if inames.signals
                        else []
                    ),
                    *streams_note,
                ]
            ),
            server_docstring=_join(
                [
                    _paragraph(
                        f"Server base class for ``{iface.name}`` {described}: subclass it, "
                        "override the handlers, then ``export(bus, path)``."
                        + handlers_note
                        + fd_server,
                        _CLASS_DEPTH,
                    ),
                ]
            ),
            methods=tuple(methods),
            properties=props,
            signals=tuple(signals),
            result_classes=tuple(results),
            changed_class=changed_class,
            changed_properties=changed,
            changed_docstring=changed_doc,
            watch_name=inames.watch_name or "",
            watch_docstring=_paragraph(
                "Call ``callback(changed, invalidated)`` on each PropertiesChanged of this interface."
            ),
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
                if changed_class and not inherited
                else ""
            ),
            watch_body=statement(2, watch_call, lay) if changed_class and not inherited else "",
            changed_line=changed_line,
            specs_block=_statements(0, specs, lay),
            specs_line=statement(
                1,
                (
                    f"_SPECS = ({spec_names[0]},)"
                    if len(spec_names) == 1
                    else Call("_SPECS = ", spec_names, "()")
                ),
                lay,
            ),
            annotations_line=(
                statement(1, Call("_ANNOTATIONS = ", _pairs(iface.annotations).args, "[]"), lay)
                if iface.annotations
                else None
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


def _import_line(module: str, names: Sequence[str], layout: Layout) -> str:
    """``from module import names``: on one line when it fits, else black's parenthesized
    form (one name a line)."""
    line = f"from {module} import {', '.join(names)}"
    if layout.fits(line):
        return line
    return statement(0, Call(f"from {module} import ", tuple(names)), layout)


class RenderedPackage(NamedTuple):
    files: dict[str, str]


def _typed_dict(name: str, doc: str, entries: Sequence[tuple[str, str]], lay: Layout) -> str:
    """A ``total=False`` TypedDict statement: the class form with a docstring when every key is
    a plain field name, the functional form with a comment otherwise."""
    if all(_field_name(key) for key, _ in entries):
        return "\n".join(
            [
                f"class {name}(_t.TypedDict, total=False):",
                "    " + docstring_at(_paragraph(doc, 1), 1, lay),
                *([""] if entries else []),
                *(f"    {key}: {value}" for key, value in entries),
            ]
        )
    items = tuple(f"{pystr(key)}: {value}" for key, value in entries)
    return (
        statement(
            0,
            Call(f"{name} = _t.TypedDict", (pystr(name), Call("", items, "{}"), "total=False")),
            lay,
        )
        + "\n"
        + comment_at(f"{name}: {doc}", 0, lay)
    )


def runtime_import(vendor_runtime: bool) -> str:
    """How a generated module imports the runtime (as ``_rt``): the installed
    ``qdbusgen_runtime``, checked at import against the version this qdbusgen targets, or
    the package's own copy."""
    if vendor_runtime:
        return f"from . import {VENDORED_RUNTIME} as _rt"
    return f'import {RUNTIME_PACKAGE} as _rt\n\n_rt.require_version("{runtime_api()}", __name__)'


def _runtime_import(vendor_runtime: bool) -> str:
    """The package ``__init__``'s lines that re-export the runtime (its names by ``*``, the
    module as ``_runtime`` for ``__all__``): the vendored copy, or the installed package."""
    if vendor_runtime:
        return f"from .{VENDORED_RUNTIME} import *\nfrom . import {VENDORED_RUNTIME}"
    # pyright strict refuses a star import from an installed package unless told
    ignore = "# pyright: ignore[reportWildcardImportFromLibrary]"
    return (
        f"from {RUNTIME_PACKAGE} import *  {ignore}\nimport {RUNTIME_PACKAGE} as {VENDORED_RUNTIME}"
    )


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
        view = _Builder(names.interface(iface.name), source, client).interface()
        exports = tuple(
            n
            for n in view.exports
            if (client or n != view.proxy_class) and (server or n != view.server_class)
        )
        view = view._replace(
            exports=exports,
            all_line=statement(
                0, Call("__all__ = ", tuple(pystr(n) for n in exports), "[]"), view.layout
            ),
        )
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
    all_exports = sorted({n for m in modules for n in m.exports})
    pkg = PackageView(
        name=package,
        sources=", ".join(sources),
        docstring=_join(
            [
                _paragraph(
                    f"``{package}``: typed D-Bus stubs generated by qdbusgen, one module per "
                    "interface: " + ", ".join(sorted(i.name for i, _ in interfaces)) + ".",
                    0,
                ),
            ]
        ),
        modules=tuple(modules),
        runtime_import=_runtime_import(vendor_runtime),
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
    pkg = pkg._replace(
        modules=tuple(
            m._replace(import_line=_import_line(f".{m.module}", m.exports, init_layout))
            for m in pkg.modules
        )
    )
    init = env.get_template("package_init.py.jinja").render(package=pkg, layout=init_layout)
    files["__init__.py"] = format_python(init, "__init__.py", init_layout)
    if vendor_runtime:
        for name, text in runtime_files().items():
            files[f"{VENDORED_RUNTIME}/{name}"] = text
    files["py.typed"] = ""
    return RenderedPackage(files)
