"""`fzc lsp` driven over stdio by a real LSP client (pygls's), as an editor would."""

from __future__ import annotations

import asyncio
import re
import sys

import pytest
from golden import REPO
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from fzc.fmt import format_text
from fzc.lsp.positions import LineIndex

FLAGSHIP = REPO / "samples" / "event_processing.fz"
MESSY = REPO / "tests" / "fmt" / "messy.fz"
TIMEOUT = 20


def _command() -> list[str]:
    from fzc.cli import COMMANDS

    if "lsp" in COMMANDS:
        return ["-m", "fzc", "lsp"]
    return ["-c", "from fzc.commands.lsp import lsp; lsp()"]


class Session:
    """One server process and one client, on an event loop the tests drive in turn."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("fzc-tests", "1")
        self.published: dict[str, list[t.PublishDiagnosticsParams]] = {}
        self.versions: dict[str, int] = {}

        def on_diagnostics(params: t.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(params)

        self.client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(on_diagnostics)

    def run(self, coro):
        return self.loop.run_until_complete(asyncio.wait_for(coro, TIMEOUT))

    def start(self) -> t.InitializeResult:
        self.run(self.client.start_io(sys.executable, *_command(), cwd=str(REPO)))
        caps = t.ClientCapabilities(
            general=t.GeneralClientCapabilities(position_encodings=["utf-16"])
        )
        result = self.run(self.client.initialize_async(t.InitializeParams(caps, process_id=None)))
        self.client.initialized(t.InitializedParams())
        return result

    def stop(self) -> None:
        self.run(self.client.shutdown_async(None))
        self.client.exit(None)
        self.run(self.client.stop())
        self.loop.close()

    async def _wait(self, uri: str, version: int | None) -> t.PublishDiagnosticsParams:
        while True:
            for params in reversed(self.published.get(uri, [])):
                if version is None or params.version == version:
                    return params
            await asyncio.sleep(0.01)

    def diagnostics(self, uri: str, version: int | None = None) -> list[t.Diagnostic]:
        return self.run(self._wait(uri, version)).diagnostics

    def open(self, name: str, text: str) -> str:
        uri = f"file:///tmp/fzc-lsp-tests/{name}"
        self.versions[uri] = 1
        self.published.pop(uri, None)
        item = t.TextDocumentItem(uri, "flowzap", 1, text)
        self.client.text_document_did_open(t.DidOpenTextDocumentParams(item))
        return uri

    def change(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> int:
        self.versions[uri] += 1
        change = t.TextDocumentContentChangePartial(
            t.Range(t.Position(*start), t.Position(*end)), text
        )
        doc = t.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri)
        self.client.text_document_did_change(t.DidChangeTextDocumentParams(doc, [change]))
        return self.versions[uri]

    def request(self, name: str, params):
        return self.run(getattr(self.client, f"text_document_{name}_async")(params))


@pytest.fixture(scope="module")
def lsp():
    session = Session()
    session.caps = session.start().capabilities
    yield session
    session.stop()


@pytest.fixture(scope="module")
def flagship(lsp):
    return lsp.open("event_processing.fz", FLAGSHIP.read_text(encoding="utf-8"))


def _doc(uri: str) -> t.TextDocumentIdentifier:
    return t.TextDocumentIdentifier(uri)


def _find(text: str, needle: str, nth: int = 0) -> t.Position:
    """UTF-16 position of the `nth` occurrence of `needle`."""
    offsets = [m.start() for m in re.finditer(re.escape(needle), text)]
    return t.Position(*LineIndex(text).position(offsets[nth]))


def _apply(text: str, edits: list[t.TextEdit]) -> str:
    lines = LineIndex(text)
    spans = [
        (lines.offset(e.range.start.line, e.range.start.character),
         lines.offset(e.range.end.line, e.range.end.character), e.new_text)
        for e in edits
    ]  # fmt: skip
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def test_capabilities(lsp):
    caps = lsp.caps
    assert caps.position_encoding == "utf-16"
    assert caps.hover_provider and caps.definition_provider and caps.references_provider
    assert caps.rename_provider and caps.document_symbol_provider
    assert caps.document_formatting_provider and caps.completion_provider


def test_flagship_diagnostics(lsp, flagship):
    diagnostics = lsp.diagnostics(flagship)
    assert [d.code for d in diagnostics] == ["FZ3004"]  # the glue function note, on n14 -> n15
    text = FLAGSHIP.read_text(encoding="utf-8")
    assert diagnostics[0].range.start == _find(text, "n14.handle(right)")
    assert diagnostics[0].severity == t.DiagnosticSeverity.Information


def test_hover_node_shows_its_aws_kind(lsp, flagship):
    text = FLAGSHIP.read_text(encoding="utf-8")
    hover = lsp.request("hover", t.HoverParams(_doc(flagship), _find(text, "n12:")))
    assert "AWS::SQS::Queue" in hover.contents.value
    assert (
        "keyword in label (sqs)" in hover.contents.value and "FanOutWithSQS" in hover.contents.value
    )


def test_hover_edge_shows_what_it_expands_to(lsp, flagship):
    text = FLAGSHIP.read_text(encoding="utf-8")
    where = _find(text, "-> Processing.n12")
    hover = lsp.request("hover", t.HoverParams(_doc(flagship), where))
    assert "n8 -> n12" in hover.contents.value and "lambda-send-message" in hover.contents.value


def test_definition_and_references(lsp, flagship):
    text = FLAGSHIP.read_text(encoding="utf-8")
    at_prefixed = _find(text, "Triggers.n5")
    at_prefixed.character += len("Triggers.")
    found = lsp.request("definition", t.DefinitionParams(_doc(flagship), at_prefixed))
    assert found.range.start == _find(text, "n5:")
    context = t.ReferenceContext(include_declaration=True)
    refs = lsp.request(
        "references",
        t.ReferenceParams(context=context, text_document=_doc(flagship), position=at_prefixed),
    )
    assert len(refs) == 3  # the declaration, `Triggers.n5` and `n5.handle(bottom)`
    lane = lsp.request("definition", t.DefinitionParams(_doc(flagship), _find(text, "Triggers.n5")))
    assert lane.range.start == _find(text, "Triggers {")


def test_rename_every_occurrence(lsp, flagship):
    text = FLAGSHIP.read_text(encoding="utf-8")
    params = t.RenameParams(_doc(flagship), _find(text, "n5:"), "n50")
    edit = lsp.request("rename", params)
    renamed = _apply(text, edit.changes[flagship])
    assert len(edit.changes[flagship]) == 3
    assert "Triggers.n50.handle(top)" in renamed and "n50.handle(bottom)" in renamed
    assert not re.search(r"\bn5\b", renamed)
    assert renamed.replace("n50", "n5") == text


def test_rename_refuses_bad_and_taken_names(lsp, flagship):
    text = FLAGSHIP.read_text(encoding="utf-8")
    for name in ("n6", "two words", "loop"):
        with pytest.raises(JsonRpcException):
            lsp.request("rename", t.RenameParams(_doc(flagship), _find(text, "n5:"), name))


def test_document_symbols(lsp, flagship):
    symbols = lsp.request("document_symbol", t.DocumentSymbolParams(_doc(flagship)))
    assert [s.name for s in symbols] == ["EventSources", "Triggers", "Processing", "Storage"]
    assert [c.name for c in symbols[2].children] == ["n9", "n10", "n11", "n12", "n13"]
    assert "AWS::SQS::Queue" in symbols[2].children[3].detail


def test_formatting(lsp):
    text = MESSY.read_text(encoding="utf-8")
    uri = lsp.open("messy.fz", text)
    options = t.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = lsp.request("formatting", t.DocumentFormattingParams(_doc(uri), options))
    assert _apply(text, edits) == format_text(text)
    broken = lsp.open("broken.fz", "A {\nn1 -> n2\n}\n")
    assert not lsp.request("formatting", t.DocumentFormattingParams(_doc(broken), options))


def test_completion(lsp):
    text = 'A { # A\nn1: rectangle label:"x"\nn1.handle(\n}\nB {\nn2: \n'
    text += "n2: circle \nn2.handle(right) -> A.\nn2.handle(right) -> A.n1.handle(left) [\n"
    text += 'n3: circle label:"ha\n}\n'
    uri = lsp.open("complete.fz", text)

    def labels(needle: str) -> set[str]:
        where = _find(text, needle)
        where.character += len(needle)
        found = lsp.request("completion", t.CompletionParams(_doc(uri), where))
        return {item.label for item in found.items}

    assert labels("n1.handle(") == {"left", "right", "top", "bottom"}
    assert labels("n2: ") == {"circle", "rectangle", "diamond", "taskbox"}
    assert {"label", "owner", "description", "system"} <= labels("n2: circle ")
    assert labels("-> A.") == {"n1"}
    assert labels("(left) [") == {"label"}
    assert labels('label:"ha') == set()


def test_utf16_positions(lsp):
    text = 'A { # Ünï 🚀\nn1: rectangle label:"日本🚀🚀" owner="x"\nn2: circle label:"b"\n'
    text += "n1.handle(right) -> n2.handle(left)\nloop [über 🚀🚀] n1 n2\n}\n"
    uri = lsp.open("utf16.fz", text)
    diagnostics = {d.code: d for d in lsp.diagnostics(uri)}
    owner = diagnostics["FZ1010"].range
    assert owner.start == t.Position(
        1, len('n1: rectangle label:"日本🚀🚀" '.encode("utf-16-le")) // 2
    )
    assert owner.end.character - owner.start.character == len('owner="x"')
    ref = _find(text, "n2", 2)  # in the loop, after two astral characters
    assert ref.character == len("loop [über 🚀🚀] n1 ") + 2
    found = lsp.request("definition", t.DefinitionParams(_doc(uri), ref))
    assert found.range.start == t.Position(2, 0)
    version = lsp.change(uri, (4, ref.character - 1), (4, ref.character + 2), "")  # ` n2`
    assert {d.code for d in lsp.diagnostics(uri, version)} == {"FZ1010", "FZ2007"}


def test_edits_are_rechecked_and_bursts_debounced(lsp):
    text = 'A { # A\nn1: rectangle label:"Lambda"\nn2: rectangle label:"SQS queue"\n}\n'
    uri = lsp.open("burst.fz", text)
    assert {d.code for d in lsp.diagnostics(uri, 1)} == {"FZ2003"}  # two orphans
    before = len(lsp.published[uri])
    for i, ch in enumerate("n1.handle(right) -> n2.handle(left"):
        version = lsp.change(uri, (3, i), (3, i), ch)
    assert {d.code for d in lsp.diagnostics(uri, version)} & {"FZ0001", "FZ0003"}
    assert len(lsp.published[uri]) - before < 10  # one re-check per burst, not per keystroke
    version = lsp.change(uri, (3, 34), (3, 34), ")\n")
    assert [d.code for d in lsp.diagnostics(uri, version)] == []
    hover = lsp.request("hover", t.HoverParams(_doc(uri), t.Position(3, 1)))
    assert "AWS::Lambda::Function" in hover.contents.value


def test_garbage_never_breaks_the_server(lsp):
    for name, text in [
        ("empty.fz", ""),
        ("junk.fz", '}}}{{ \x00 "\n-> -> [\n'),
        ("bom.fz", "\ufeff"),
    ]:
        uri = lsp.open(name, text)
        assert lsp.diagnostics(uri)
        assert lsp.request("hover", t.HoverParams(_doc(uri), t.Position(0, 0))) is None
        assert lsp.request("document_symbol", t.DocumentSymbolParams(_doc(uri))) is not None


# -- positions, without a server ------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "width"),
    [("utf-16", {"é": 1, "🚀": 2}), ("utf-8", {"é": 2, "🚀": 4}), ("utf-32", {"é": 1, "🚀": 1})],
)
def test_positions_round_trip_in_every_encoding(encoding: str, width: dict[str, int]):
    text = 'A {\r\nn1: circle label:"é🚀x"\rn2: circle\n}'
    lines = LineIndex(text, encoding)
    x = text.index("x")
    assert lines.position(x) == (1, len('n1: circle label:"') + width["é"] + width["🚀"])
    assert lines.position(text.index("n2")) == (2, 0)  # a lone CR ends a line too
    assert lines.position(text.index("\r\n")) == lines.position(text.index("\r\n") + 1) == (0, 3)
    inside_crlf = text.index("\r\n") + 1  # not a position: LSP has no place between CR and LF
    for offset in set(range(len(text) + 1)) - {inside_crlf}:
        assert lines.offset(*lines.position(offset)) == offset, offset
    assert lines.offset(1, 999) == text.index("\rn2") and lines.offset(99, 0) == len(text)


def test_strict_from_initialization_options():
    from fzc.lsp.server import _on_initialize, make_server

    server = make_server()
    params = t.InitializeParams(t.ClientCapabilities(), initialization_options={"strict": True})
    _on_initialize(server, params)
    assert server.strict
