"""Render diagnostics at the edge: `full` (rustc-style), `concise` (one line), `json`,
`sarif` (SARIF 2.1.0, for code scanning) and `github` (GitHub Actions workflow commands)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fzc.diagnostics import Diagnostic, Label
from fzc.source import Source

_MAX_SNIPPET = 200  # characters of a source line shown in a snippet


def _where(src: Source, d: Diagnostic) -> tuple[int, int, int, int]:
    line, col = src.line_col(d.primary.span.start)
    end_line, end_col = src.line_col(d.primary.span.end)
    return line, col, end_line, end_col


def _clean(text: str) -> str:
    """Keep control characters from reaching the terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else "\ufffd" for ch in text)


def concise(items: Sequence[tuple[Source, Diagnostic]]) -> str:
    out = []
    for src, d in items:
        line, col, _, _ = _where(src, d)
        out.append(
            f"{src.path}:{line}:{col}: {d.level.value}[{d.code.code}]: {_clean(d.message)}\n"
        )
    return "".join(out)


def _snippet(src: Source, label: Label, mark: str, gutter: int) -> list[str]:
    line, col = src.line_col(label.span.start)
    end_line, end_col = src.line_col(label.span.end)
    text = src.line_text(line)
    if len(text) > _MAX_SNIPPET:
        start = max(0, col - 1 - _MAX_SNIPPET // 2)
        text, col = text[start : start + _MAX_SNIPPET], col - start
        end_col -= start
    text = _clean(text.replace("\t", " "))
    width = (end_col - col) if end_line == line and end_col > col else 1
    width = max(1, min(width, len(text) - col + 2))
    pad = " " * gutter
    marks = " " * (col - 1) + mark * width
    tail = f" {_clean(label.message)}" if label.message else ""
    return [f"{str(line).rjust(gutter)} | {text}".rstrip(), f"{pad} | {marks}{tail}"]


def full(items: Sequence[tuple[Source, Diagnostic]]) -> str:
    blocks = []
    for src, d in items:
        line, col, _, _ = _where(src, d)
        labels = [(d.primary, "^"), *((s, "-") for s in d.secondary)]
        labels.sort(key=lambda item: item[0].span.start)  # snippets in source order
        gutter = max(len(str(src.line_col(lab.span.start)[0])) for lab, _ in labels)
        pad = " " * gutter
        lines = [
            f"{d.level.value}[{d.code.code}]: {_clean(d.message)}",
            f"{pad}--> {src.path}:{line}:{col}",
            f"{pad} |",
        ]
        for lab, mark in labels:
            lines += _snippet(src, lab, mark, gutter)
        lines.append(f"{pad} |")
        if d.help:
            lines.append(f"{pad} = help: {_clean(d.help)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def as_records(items: Sequence[tuple[Source, Diagnostic]]) -> list[dict]:
    records = []
    for src, d in items:
        line, col, end_line, end_col = _where(src, d)
        records.append(
            {
                "path": src.path,
                "line": line,
                "column": col,
                "end_line": end_line,
                "end_column": end_col,
                "severity": d.level.value,
                "code": d.code.code,
                "name": d.code.name,
                "message": d.message,
                "help": d.help,
            }
        )
    return records


def as_json(items: Sequence[tuple[Source, Diagnostic]]) -> str:
    import json  # only the json and sarif formats need it

    return json.dumps(as_records(items), indent=2, ensure_ascii=False) + "\n"


SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def _sarif_rules() -> list[dict]:
    from fzc.diagnostics.codes import CODES

    return [
        {
            "id": c.code,
            "name": c.name,
            "shortDescription": {"text": c.summary},
            "help": {"text": f"{c.summary}: see docs/codes/{c.code}.md"},
            "defaultConfiguration": {"level": _SARIF_LEVEL[c.severity.value]},
        }
        for c in sorted(CODES.values(), key=lambda c: c.code)
    ]


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:@-._~")


def as_sarif(items: Sequence[tuple[Source, Diagnostic]]) -> str:
    from fzc import __version__

    rules = _sarif_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for rec in as_records(items):
        message = rec["message"] + (f" (help: {rec['help']})" if rec["help"] else "")
        region = {
            "startLine": rec["line"],
            "startColumn": rec["column"],
            "endLine": rec["end_line"],
            "endColumn": max(rec["end_column"], rec["column"] + (rec["end_line"] == rec["line"])),
        }
        results.append(
            {
                "ruleId": rec["code"],
                "ruleIndex": index[rec["code"]],
                "level": _SARIF_LEVEL[rec["severity"]],
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(rec["path"])},
                            "region": region,
                        }
                    }
                ],
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fzc",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    import json

    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github(items: Sequence[tuple[Source, Diagnostic]]) -> str:
    """GitHub Actions workflow commands: one annotation per diagnostic."""
    out = []
    for rec in as_records(items):
        props = ",".join(
            f"{k}={_gh_property(str(v))}"
            for k, v in (
                ("file", rec["path"].replace("\\", "/")),
                ("line", rec["line"]),
                ("col", rec["column"]),
                ("endLine", rec["end_line"]),
                ("endColumn", rec["end_column"]),
                ("title", rec["code"]),
            )
        )
        message = rec["message"] + (f"\n{rec['help']}" if rec["help"] else "")
        out.append(f"::{_GITHUB_LEVEL[rec['severity']]} {props}::{_gh_data(message)}\n")
    return "".join(out)


RENDERERS: dict[str, Callable[[Sequence[tuple[Source, Diagnostic]]], str]] = {
    "full": full,
    "concise": concise,
    "json": as_json,
    "sarif": as_sarif,
    "github": github,
}
