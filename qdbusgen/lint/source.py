"""What the model leaves out but the linter needs, as the parser built it once.

Every :class:`~qdbusgen.model.Document` the parser made carries its
:class:`SourceIndex` (``document.source``): the element tree, the position of every
element and comment, and the comments around them. See :mod:`qdbusgen.source`.
"""

from __future__ import annotations

from ..source import DOC_ELEMENT_NAMESPACES, CommentInfo, SourceIndex

__all__ = ["DOC_ELEMENT_NAMESPACES", "CommentInfo", "SourceIndex"]
