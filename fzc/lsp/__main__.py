"""`python -m fzc.lsp [--strict]`: the language server over stdio."""

import sys

from fzc.lsp.server import main

main(strict="--strict" in sys.argv[1:])
