"""fzc: compile FlowZap Code diagrams into AWS infrastructure."""

__version__ = "0.1.0"
