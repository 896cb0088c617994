"""One module per `fzc` command, imported only when that command runs."""
