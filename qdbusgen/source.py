"""Where everything is in one file: positions, comments, and the element tree.

Built once by the parser (:func:`qdbusgen.parser.parse_bytes`) from the tree it parsed
and carried on the :class:`~qdbusgen.model.Document` (``document.source``); nothing reads
or parses a file a second time. The model keeps documentation, not comments; the linter
finds here suppression comments and annotations, the gtk-doc comment before an element,
and documentation elements, by the :class:`~qdbusgen.model.Location` its model object
(and every diagnostic about it) carries (:meth:`SourceIndex.element_of`): a location is
the stable key of an element, kept when overrides replace a model object. Read-only once
built.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from . import docs, xmlnames
from .conditionals import ConditionalError, active_children
from .model import Location

DOC_ELEMENT_NAMESPACES = frozenset({*docs.DOC_NAMESPACES, docs.TP_NAMESPACE})


_TOKEN_RE = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!(?:[^<>\[]|\[.*?\])*>|<([^\s/>!?][^\s/>]*)",
    re.DOTALL,
)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


class Positions:
    """Line and column of every element, comment and PI, by a scan of the document's text
    (decoded once, by the parser, whatever its encoding; without a byte-order mark).

    lxml reports only a line (the line where a start tag *ends*); the scan finds the
    ``<`` of each node in document order and pairs it with lxml's nodes in the same
    order. Columns count characters from 1.
    """

    def __init__(self, text: str, root: etree._Element) -> None:
        self._starts = _line_starts(text)
        self._map: dict[int, tuple[int, int]] = {}
        tokens: list[tuple[str, str, int]] = []
        started = False
        for m in _TOKEN_RE.finditer(text):
            token = m.group(0)
            if m.group(1) is not None:
                started = True
                tokens.append(("element", m.group(1), m.start()))
            elif not started:
                continue
            elif token.startswith("<!--"):
                tokens.append(("comment", "", m.start()))
            elif token.startswith("<?"):
                tokens.append(("pi", "", m.start()))
        nodes = list(root.iter())
        index = 0
        for node in nodes:
            if isinstance(node, etree._Comment):
                kind = "comment"
            elif isinstance(node, etree._ProcessingInstruction):
                kind = "pi"
            elif isinstance(node.tag, str):
                kind = "element"
            else:
                continue
            if index >= len(tokens) or tokens[index][0] != kind:
                break
            if kind == "element":
                qname = tokens[index][1]
                expected = (
                    node.prefix + ":" + xmlnames.local(node.tag)
                    if node.prefix
                    else xmlnames.local(node.tag)
                )
                if qname != expected:
                    break
            self._map[id(node)] = self._line_col(tokens[index][2])
            index += 1
        self._keep = nodes  # keep ids valid while the map is in use

    def _line_col(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self._starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self._starts[lo] + 1

    def of(self, node: etree._Element) -> tuple[int, int]:
        found = self._map.get(id(node))
        if found is not None:
            return found
        return (node.sourceline or 1, 1)


@dataclass(frozen=True, slots=True)
class CommentInfo:
    text: str
    line: int
    column: int
    #: The element the comment stands directly before (only whitespace and comments between).
    target: etree._Element | None


class SourceIndex:
    """Elements of one file by position, and the comments around them."""

    def __init__(
        self,
        root: etree._Element,
        positions: Positions,
        defines: Mapping[str, str],
        path: str = "",
    ) -> None:
        self.root = root
        self.defines = defines
        #: The file as the parser named it in every Location.
        self.path = path
        self._positions = positions
        self._by_pos: dict[tuple[int, int], etree._Element] = {}
        self._parent: dict[int, etree._Element | None] = {id(root): None}
        self._pos_of: dict[int, tuple[int, int]] = {}
        self.comments: list[CommentInfo] = []
        self._preceding_comment: dict[int, str] = {}
        self._elements: list[etree._Element] = []
        self._index(root)
        self._document_level_comments(root)

    # -- building

    def _children(self, el: etree._Element) -> list[etree._Element]:
        try:
            return list(active_children(el, self.defines))
        except ConditionalError:
            return [c for c in el if not isinstance(c, etree._ProcessingInstruction)]

    def _index(self, root: etree._Element) -> None:
        stack = [root]
        while stack:
            el = stack.pop()
            pos = self._positions.of(el)
            self._by_pos.setdefault(pos, el)
            self._pos_of[id(el)] = pos
            self._elements.append(el)
            pending: list[etree._Comment] = []
            last_comment_text: str | None = None
            children = self._children(el)
            for child in children:
                if isinstance(child, etree._Comment):
                    pending.append(child)
                    last_comment_text = child.text or ""
                    continue
                if not isinstance(child.tag, str):
                    pending = []
                    last_comment_text = None
                    continue
                self._parent[id(child)] = el
                for comment in pending:
                    self._add_comment(comment, child)
                pending = []
                if last_comment_text is not None:
                    self._preceding_comment[id(child)] = last_comment_text
                last_comment_text = None
                if xmlnames.namespace(child.tag) is None:
                    stack.append(child)
            for comment in pending:
                self._add_comment(comment, None)

    def _add_comment(self, comment: etree._Comment, target: etree._Element | None) -> None:
        line, col = self._positions.of(comment)
        self.comments.append(CommentInfo(comment.text or "", line, col, target))

    def _document_level_comments(self, root: etree._Element) -> None:
        before: list[etree._Element] = []
        sib = root.getprevious()
        while sib is not None:
            before.append(sib)
            sib = sib.getprevious()
        for node in reversed(before):
            if isinstance(node, etree._Comment):
                self.comments.append(CommentInfo(node.text or "", node.sourceline or 1, 1, root))
        if before and isinstance(before[0], etree._Comment):
            self._preceding_comment[id(root)] = before[0].text or ""
        after = root.getnext()
        while after is not None:
            if isinstance(after, etree._Comment):
                self.comments.append(CommentInfo(after.text or "", after.sourceline or 1, 1, None))
            after = after.getnext()

    # -- queries

    def element_of(self, location: Location) -> etree._Element | None:
        """The element a model object or a diagnostic at ``location`` stands for (None for
        a place in another file, such as an override's, or not at an element)."""
        if location.file != self.path:
            return None
        return self._by_pos.get((location.line, location.column))

    def location(self, el: etree._Element) -> Location:
        """Where ``el`` starts, as the parser's Locations say it."""
        line, column = self._pos_of.get(id(el), (el.sourceline or 1, 1))
        return Location(self.path, line, column)

    def parent(self, el: etree._Element) -> etree._Element | None:
        return self._parent.get(id(el))

    def ancestors_or_self(self, el: etree._Element) -> Iterator[etree._Element]:
        cur: etree._Element | None = el
        while cur is not None:
            yield cur
            cur = self.parent(cur)

    def is_within(self, el: etree._Element, scope: etree._Element) -> bool:
        return any(a is scope for a in self.ancestors_or_self(el))

    def elements(self) -> Iterator[etree._Element]:
        yield from self._elements

    def gtkdoc_before(self, el: etree._Element) -> docs.GtkDocComment | None:
        """The gtk-doc comment directly before ``el`` (no element in between), if it names ``el``."""
        text = self._preceding_comment.get(id(el))
        if text is None:
            return None
        parsed = docs.parse_gtkdoc_comment(text)
        if parsed is None or parsed.symbol != el.get("name"):
            return None
        return parsed

    def comment_before(self, el: etree._Element) -> str | None:
        """The text of the comment directly before ``el`` (no element in between), if any."""
        return self._preceding_comment.get(id(el))

    def has_doc_element(self, el: etree._Element) -> bool:
        """A doc:doc or tp:docstring child (any content counts as documentation)."""
        for child in self._children(el):
            if isinstance(child.tag, str):
                ns, local = xmlnames.split(child.tag)
                if ns in DOC_ELEMENT_NAMESPACES and local in ("doc", "docstring"):
                    return True
        return False
