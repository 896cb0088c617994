"""The diagnostic code table: every code fzc can emit, one row each.

Ranges follow the pipeline: FZ0xxx syntax, FZ1xxx model and names, FZ2xxx graph checks,
FZ3xxx architecture (kinds and wiring), FZ4xxx backends, FZ5xxx drift (`fzc check
--against/--stack/--out`), FZ6xxx simulation (`fzc simulate`), FZ9xxx internal errors.
Each code has a page in docs/codes/<CODE>.md and a fixture in tests/diagnostics/.
"""

from __future__ import annotations

from fzc.diagnostics import Code, Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

_ROWS: tuple[Code, ...] = (
    # syntax
    Code("FZ0001", "syntax-error", E, "the line is not FlowZap Code"),
    Code("FZ0002", "unterminated-string", E, "a string has no closing quote on its line"),
    Code("FZ0003", "missing-handle", E, "an edge endpoint has no `.handle(direction)`"),
    Code("FZ0004", "chained-edge", E, "several arrows on one line (`a -> b -> c`)"),
    Code("FZ0005", "empty-file", E, "the file holds no FlowZap Code"),
    Code("FZ0006", "invalid-encoding", E, "the file is not UTF-8 text"),
    Code("FZ0007", "control-character", W, "a control character or NUL in the text", strict=True),
    Code("FZ0008", "too-many-errors", N, "reporting stopped after too many syntax errors"),
    # model and names
    Code("FZ1001", "duplicate-lane", E, "two lanes share one id"),
    Code("FZ1002", "duplicate-node", E, "two nodes share one id"),
    Code("FZ1003", "unknown-node", E, "an edge names a node that is not declared"),
    Code("FZ1004", "unknown-lane", W, "a lane prefix names no lane", strict=True),
    Code(
        "FZ1005",
        "wrong-lane-prefix",
        W,
        "a lane prefix names another lane than the node's",
        strict=True,
    ),
    Code("FZ1006", "unknown-shape", E, "a node shape is not circle, rectangle, diamond or taskbox"),
    Code("FZ1007", "unknown-attribute", W, "an attribute key FlowZap does not define", strict=True),
    Code("FZ1008", "node-id-format", W, "a node id is not of the form `nK`", strict=True),
    Code("FZ1009", "node-id-gap", W, "node ids are not exactly n1..nN", strict=True),
    Code("FZ1010", "attribute-equals", W, 'a node attribute written `key="v"`', strict=True),
    Code("FZ1011", "edge-label-colon", W, 'an edge label written `[label:"v"]`', strict=True),
    Code(
        "FZ1012",
        "legacy-display-label",
        W,
        "a lane display label on the line after `{`",
        strict=True,
    ),
    Code("FZ1013", "unclosed-lane", E, "a lane block has no closing `}`"),
    Code("FZ1014", "unmatched-brace", E, "a `}` closes no lane"),
    Code("FZ1015", "nested-lane", E, "a lane opened inside another lane"),
    Code("FZ1016", "node-outside-lane", E, "a node declared outside any lane"),
    Code("FZ1017", "unknown-direction", E, "a handle direction is not left, right, top or bottom"),
    Code("FZ1018", "duplicate-attribute", W, "an attribute key given twice", strict=True),
    Code("FZ1019", "label-too-long", W, "a label longer than 50 characters"),
    Code("FZ1020", "missing-label", W, "a node other than a taskbox has no label", strict=True),
    Code(
        "FZ1021", "hash-comment", W, "a `#` comment that is not a lane display label", strict=True
    ),
    Code("FZ1022", "edge-outside-lane", W, "an edge written outside any lane", strict=True),
    Code("FZ1023", "loop-outside-lane", W, "a loop written outside any lane", strict=True),
    Code(
        "FZ1024",
        "unprefixed-cross-lane",
        W,
        "a cross-lane target without its lane prefix",
        strict=True,
    ),
    Code("FZ1025", "slash-comment", N, "a `//` comment line (FlowZap drops it on regeneration)"),
    # graph checks
    Code("FZ2001", "decision-branches", W, "a decision with fewer than two outgoing edges"),
    Code("FZ2002", "unlabelled-branch", W, "a decision branch without a label", strict=True),
    Code("FZ2003", "orphan-node", W, "a node with no edge", strict=True),
    Code("FZ2004", "self-edge", W, "an edge from a node to itself"),
    Code("FZ2005", "duplicate-edge", W, "the same edge written twice"),
    Code("FZ2006", "loop-unknown-node", E, "a loop names a node that is not declared"),
    Code("FZ2007", "short-loop", W, "a loop naming fewer than two nodes", strict=True),
    Code("FZ2008", "repeated-branch-value", W, "two branches of a decision test the same value"),
    # architecture: kinds and wiring
    Code("FZ3001", "ambiguous-kind", W, "a label names several AWS services"),
    Code("FZ3002", "unknown-system", W, "a `system:` value that names no AWS kind"),
    Code("FZ3003", "no-rule", E, "no AWS integration connects these two kinds"),
    Code("FZ3004", "glue-function", N, "an edge realised by a generated glue function"),
    Code("FZ3005", "empty-workflow", W, "a state machine with no step"),
    Code("FZ3006", "bad-schedule", E, "a schedule expression AWS would reject"),
    # backends: AWS quotas on what `fzc compile` would write (fzc/backends/limits.py),
    # checked before writing; their fixtures need a compile: tests/limits/codes/
    Code("FZ4001", "state-machine-too-large", E, "a state machine definition over 1 MB"),
    Code("FZ4002", "too-many-resources", E, "a template over 500 resources"),
    Code("FZ4003", "template-too-large", E, "a template over 1 MB"),
    Code("FZ4004", "too-many-outputs", E, "a template over 200 outputs"),
    Code("FZ4005", "workflow-too-deep", E, "loops nested more than 8 deep in a state machine"),
    # drift: the diagram against a template, a deployed stack or committed output (`fzc check
    # --against/--stack/--out`); their fixtures need more than a diagram: tests/drift/codes/
    Code("FZ5001", "missing-resource", E, "a diagram node has no resource in the template"),
    Code("FZ5002", "missing-connection", E, "an edge has no realisation in the template"),
    Code(
        "FZ5003",
        "different-connection",
        E,
        "an edge is realised with another direction, kind or target",
    ),
    Code(
        "FZ5004", "extra-resource", W, "a template resource the diagram does not show", strict=True
    ),
    Code(
        "FZ5005",
        "extra-connection",
        W,
        "a template connection the diagram does not show",
        strict=True,
    ),
    Code("FZ5006", "stale-output", E, "committed generated output differs from `fzc compile`"),
    Code("FZ5007", "unreadable-template", E, "the template cannot be read or expanded"),
    Code("FZ5008", "stack-unavailable", E, "the deployed stack cannot be read"),
    # simulate: `fzc simulate` checks what moto cannot (transitions, IAM), then runs the
    # compiled architecture in moto; their fixtures need more than a diagram: tests/simulate/codes/
    Code(
        "FZ6001", "missing-state", E, "a state machine transition names a state that does not exist"
    ),
    Code(
        "FZ6002", "unreachable-state", E, "a state machine state cannot be reached from its start"
    ),
    Code("FZ6003", "malformed-state", E, "a state machine state does not say how the flow goes on"),
    Code("FZ6004", "task-not-allowed", E, "a state machine's role does not allow one of its tasks"),
    Code("FZ6005", "event-source-not-allowed", E, "a function's role cannot read its event source"),
    Code("FZ6006", "handler-error", E, "a Lambda handler raised during the simulation"),
    Code(
        "FZ6007",
        "execution-failed",
        E,
        "a state machine execution failed in a way the diagram does not show",
    ),
    Code("FZ6008", "expectation-failed", E, "a scenario's expectation did not hold"),
    # internal
    Code("FZ9001", "internal-error", E, "fzc failed; please report it with the input"),
)

CODES: dict[str, Code] = {row.code: row for row in _ROWS}
BY_NAME: dict[str, Code] = {row.name: row for row in _ROWS}


def code(key: str) -> Code:
    """Look a code up by `FZxxxx` or by its kebab-case name."""
    return CODES.get(key) or BY_NAME[key]
