"""What the model leaves out but the linter needs: plain XML comments and the element tree.

The parser keeps documentation, not comments. The linter re-reads each file with the
same hardened lxml settings and the same position scan, so every element can be found
again by the ``line:col`` its model object (and every diagnostic about it) carries.
From there it finds suppression comments and annotations, the gtk-doc comment before
an element, and documentation elements, exactly where they are in the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from .. import docs
from ..diagnostics import InputError
from ..parser import _ConditionalError, _Positions, active_children, parse_tree, read_input

DOC_ELEMENT_NAMESPACES = frozenset({*docs.DOC_NAMESPACES, docs.TP_NAMESPACE})


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
        self, root: etree._Element, positions: _Positions, defines: Mapping[str, str]
    ) -> None:
        self.root = root
        self.defines = defines
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
        except _ConditionalError:
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
                if etree.QName(child).namespace is None:
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

    def element_at(self, line: int, column: int) -> etree._Element | None:
        return self._by_pos.get((line, column))

    def position(self, el: etree._Element) -> tuple[int, int]:
        return self._pos_of.get(id(el), (el.sourceline or 1, 1))

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
                qn = etree.QName(child)
                if qn.namespace in DOC_ELEMENT_NAMESPACES and qn.localname in ("doc", "docstring"):
                    return True
        return False


def build_index(path: str | Path, defines: Mapping[str, str]) -> SourceIndex | None:
    """Index of a file the parser already accepted; None when it cannot be re-read."""
    try:
        data = read_input(Path(path), str(path))
        root = parse_tree(data, str(path))
    except (InputError, etree.LxmlError, ValueError):
        return None
    positions = _Positions(data, root)
    return SourceIndex(root, positions, defines)
