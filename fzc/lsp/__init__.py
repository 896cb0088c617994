"""`fzc lsp`: a language server for FlowZap Code over stdio (pygls).

`positions` converts offsets to LSP positions (UTF-16 by default), `document` re-checks a text
and indexes its names, `features` answers requests from that, `server` wires it to pygls.
Run it as `fzc lsp` or `python -m fzc.lsp`.
"""
