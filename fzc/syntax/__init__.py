"""Syntax stage: text -> `Document` (statement lines) plus syntax diagnostics."""

from fzc.syntax.parser import parse

__all__ = ["parse"]
