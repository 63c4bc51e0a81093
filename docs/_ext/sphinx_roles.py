"""Griffe extension for the docs build: read aiomsg's reST-flavoured docstrings.

aiomsg's docstrings use a few reST idioms: roles (``:meth:`close```), ``text::``
before a literal block, and ``#:`` comments documenting module attributes.
mkdocstrings renders Markdown and reads only string docstrings, so this
extension rewrites the roles as code spans, ``::`` as ``:``, and turns ``#:``
comments into attribute docstrings when the package is loaded for the API
reference. The source files are left untouched.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(meth|func|class|attr|data|mod|exc|obj):`~?([^`]+)`")
_LITERAL = re.compile(r"(\S)::\n(\s*\n)")


def _role(match: re.Match[str]) -> str:
    kind, target = match.groups()
    if kind in ("meth", "func") and not target.endswith(")"):
        target += "()"
    return f"`{target}`"


def rewrite(text: str) -> str:
    """Return *text* with reST roles as code spans and ``::`` as ``:``."""
    text = _ROLE.sub(_role, text)
    return _LITERAL.sub(r"\1:\n\2", text)


class SphinxRoles(griffe.Extension):
    """Rewrite docstrings as they are loaded; document attributes from ``#:``."""

    def on_attribute_instance(
        self, *, node: ast.AST | griffe.ObjectNode, attr: griffe.Attribute, **kwargs: Any
    ) -> None:
        if attr.docstring is not None or attr.lineno is None:
            return
        try:
            lines = attr.module.lines  # the whole source file
        except Exception:  # no source available (a compiled module)
            return
        if attr.lineno > len(lines):
            return
        comment: list[str] = []
        index = attr.lineno - 2  # the line above the assignment, 0-based
        while index >= 0 and lines[index].lstrip().startswith("#:"):
            comment.insert(0, lines[index].lstrip()[2:].strip())
            index -= 1
        if comment:
            attr.docstring = griffe.Docstring(
                rewrite("\n".join(comment)), lineno=attr.lineno, parent=attr
            )

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
