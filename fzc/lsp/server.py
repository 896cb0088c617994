"""The language server (pygls over stdio): diagnostics, hover, names, symbols, formatting and
completion for `.fz` files.

Every change re-checks the document (parse, model, checks, AWS plan: `document.recheck`),
debounced so a burst of keystrokes costs one re-check; open and save re-check at once. A
request always answers from the current text (it re-checks first if an edit is pending).
Start-up pays for the heavy imports (lark's parser, networkx, the planner) once, by checking
a tiny diagram, so the first edit is as fast as the rest.
"""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from fzc import __version__
from fzc.lsp import features
from fzc.lsp.document import DocState, RenameError, recheck

# Quiet after an edit before re-checking: as long as the last check took (a burst of typing
# into a big diagram costs one check), but never less than DEBOUNCE; the flagship checks in
# ~2 ms, so its diagnostics follow an edit within ~15 ms (bench/lsp.py measures it).
DEBOUNCE = 0.01
MAX_DEBOUNCE = 1.0  # seconds: the longest wait, however long checks take
WARM_UP = 'warm { # Warm up\nn1: rectangle label:"Lambda"\nn2: rectangle label:"SQS"\n' + (
    "n1.handle(right) -> n2.handle(left)\n}\n"
)
TRIGGERS = [".", "("]


class FzcServer(LanguageServer):
    def __init__(self, strict: bool = False):
        super().__init__("fzc", __version__)
        self.strict = strict
        self.states: dict[str, DocState] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}

    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    def check(self, uri: str) -> DocState | None:
        """The state of the document's current text (re-checked if it changed)."""
        doc = self.workspace.get_text_document(uri)
        state = self.states.get(uri)
        if state is not None and state.text == doc.source:
            state.version = doc.version
            return state
        state = recheck(
            uri,
            doc.source,
            version=doc.version,
            strict=self.strict,
            encoding=self.encoding(),
            path=doc.path or uri,
        )
        self.states[uri] = state
        return state

    def publish(self, uri: str) -> None:
        self.cancel(uri)
        state = self.check(uri)
        self.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri, features.diagnostics(state), state.version)
        )

    def schedule(self, uri: str) -> None:
        """Re-check once the edits have paused (a big diagram waits longer: typing into it
        should not start a multi-second check at every short pause)."""
        self.cancel(uri)
        last = self.states.get(uri)
        delay = min(MAX_DEBOUNCE, max(DEBOUNCE, last.elapsed if last else 0.0))
        self.pending[uri] = asyncio.get_running_loop().call_later(delay, self.publish, uri)

    def cancel(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()


def _on_open(ls: FzcServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


def _on_change(ls: FzcServer, params: t.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


def _on_save(ls: FzcServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


def _on_close(ls: FzcServer, params: t.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.cancel(uri)
    ls.states.pop(uri, None)
    ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri, []))


def _on_initialize(ls: FzcServer, params: t.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict) and options.get("strict"):
        ls.strict = True


def _hover(ls: FzcServer, params: t.HoverParams):
    return features.hover(ls.check(params.text_document.uri), params.position)


def _definition(ls: FzcServer, params: t.DefinitionParams):
    return features.definition(ls.check(params.text_document.uri), params.position)


def _references(ls: FzcServer, params: t.ReferenceParams):
    state = ls.check(params.text_document.uri)
    return features.references(state, params.position, params.context.include_declaration)


def _prepare_rename(ls: FzcServer, params: t.PrepareRenameParams):
    return features.prepare_rename(ls.check(params.text_document.uri), params.position)


def _rename(ls: FzcServer, params: t.RenameParams):
    state = ls.check(params.text_document.uri)
    try:
        return features.rename_edit(state, params.position, params.new_name)
    except RenameError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None


def _symbols(ls: FzcServer, params: t.DocumentSymbolParams):
    return features.document_symbols(ls.check(params.text_document.uri))


def _formatting(ls: FzcServer, params: t.DocumentFormattingParams):
    return features.formatting(ls.check(params.text_document.uri))


def _completion(ls: FzcServer, params: t.CompletionParams):
    items = features.completion(ls.check(params.text_document.uri), params.position)
    return t.CompletionList(is_incomplete=False, items=items)


# LSP method -> (handler, registration options)
FEATURES = {
    t.INITIALIZE: (_on_initialize, None),
    t.TEXT_DOCUMENT_DID_OPEN: (_on_open, None),
    t.TEXT_DOCUMENT_DID_CHANGE: (_on_change, None),
    t.TEXT_DOCUMENT_DID_SAVE: (_on_save, t.SaveOptions(include_text=False)),
    t.TEXT_DOCUMENT_DID_CLOSE: (_on_close, None),
    t.TEXT_DOCUMENT_HOVER: (_hover, None),
    t.TEXT_DOCUMENT_DEFINITION: (_definition, None),
    t.TEXT_DOCUMENT_REFERENCES: (_references, None),
    t.TEXT_DOCUMENT_PREPARE_RENAME: (_prepare_rename, None),
    t.TEXT_DOCUMENT_RENAME: (_rename, t.RenameOptions(prepare_provider=True)),
    t.TEXT_DOCUMENT_DOCUMENT_SYMBOL: (_symbols, None),
    t.TEXT_DOCUMENT_FORMATTING: (_formatting, None),
    t.TEXT_DOCUMENT_COMPLETION: (_completion, t.CompletionOptions(trigger_characters=TRIGGERS)),
}


def make_server(strict: bool = False) -> FzcServer:
    server = FzcServer(strict)
    for method, (handler, options) in FEATURES.items():
        server.feature(method, options)(handler)
    return server


def warm_up() -> None:
    """Import and build everything a re-check needs, so the first edit is not the slow one."""
    recheck("untitled:warm-up.fz", WARM_UP)
    features.formatting(recheck("untitled:warm-up.fz", WARM_UP))


def main(strict: bool = False) -> None:
    logging.basicConfig(level=logging.WARNING, format="fzc lsp: %(message)s")
    warm_up()
    make_server(strict).start_io()
