"""Lambda stubs: generated code matches the goldens, is ruff-clean, imports with boto3 alone,
passes its own tests against moto, survives hostile labels and never eats hand edits.

Goldens: tests/stubs/golden/event_processing/<artifact path>.golden (`FZC_ACCEPT=1` rewrites
them; the suffix keeps pytest and ruff away from the generated tests and conftest in there).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from golden import REPO, accepting

from fzc.backends import Artifact, Options
from fzc.backends.stubs import ZIPFILE_LIMIT, emit, inline_source
from fzc.backends.stubs.text import literal, quote
from fzc.pipeline import analyze
from fzc.source import Source
from fzc.wire.plan import Plan

DATA = Path(__file__).parent / "stubs"
FLAGSHIP = REPO / "samples" / "event_processing.fz"
GOLDEN = DATA / "golden" / "event_processing"
TRICKY = [
    'a "quoted" label',
    "it's",
    'both \' and "" quotes',
    "triple \"\"\" and ''' quotes",
    "back\\slash \\n not a newline",
    "real\nnewline\r\tand tab",
    "{{ jinja }} {% block %} {# comment #}",
    "${AWS::Region} !Ref ../../x",
    "Ünïcødé ✓ 日本語 λ",
    "\u2028 \x00 \x7f \ud800",
    "",
    "x" * 10_000,
]


# -- helpers -------------------------------------------------------------------------------
def plan_of(text: str, name: str = "diagram.fz") -> Plan:
    analysis = analyze(Source(name, text))
    assert analysis.plan is not None, [d.message for d in analysis.diagnostics]
    return analysis.plan


def write(plan: Plan, out: Path) -> list[Artifact]:
    """What the CLI does: write every artifact, except user-owned ones that exist."""
    artifacts = emit(plan, Options())
    for a in artifacts:
        path = out / a.path
        if a.user_owned and path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(a.content, encoding="utf-8")
    return artifacts


def hostile_text() -> str:
    """tests/stubs/hostile.fz with @LONG@ as 10,000 characters (quotes, braces, non-ASCII)."""
    long = ('Ünï "x" {{ }} \\ ' * 700)[:10_000]
    escaped = long.replace("\\", "\\\\").replace('"', '\\"')
    text = (DATA / "hostile.fz").read_text(encoding="utf-8")
    return text.replace("@LONG@", escaped).replace("@LS@", "\u2028")


def run(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def pytest_passes(functions: Path, cwd: Path = REPO) -> None:
    done = run("-m", "pytest", str(functions), "-q", "-p", "no:randomly", cwd=cwd)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "error" not in done.stdout.splitlines()[-1]


def ruff_clean(*paths: Path) -> None:
    for args in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        done = run("-m", "ruff", *args, *map(str, paths))
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr


def choices(wiring_source: str) -> dict:
    """The CHOICES constant of a _wiring.py, read without importing it."""
    for node in ast.parse(wiring_source).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "CHOICES":
            return ast.literal_eval(node.value)
    raise AssertionError("no CHOICES in _wiring.py")


# -- fixtures: each tree is generated once per module -----------------------------------------
@pytest.fixture(scope="module")
def flagship() -> Plan:
    return plan_of(FLAGSHIP.read_text(encoding="utf-8"), "event_processing.fz")


@pytest.fixture(scope="module")
def flagship_out(flagship, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("flagship")
    write(flagship, out)
    return out


@pytest.fixture(scope="module")
def hostile() -> Plan:
    return plan_of(hostile_text(), "hostile.fz")


@pytest.fixture(scope="module")
def hostile_out(hostile, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    write(hostile, out)
    return out


@pytest.fixture(scope="module")
def inline_out(flagship, flagship_out, tmp_path_factory) -> Path:
    """The flagship tree with each folder's handler.py and _wiring.py replaced by the
    function's inline source: the generated tests then exercise the inline module."""
    out = tmp_path_factory.mktemp("inline")
    write(flagship, out)
    for fn in flagship.functions:
        source = inline_source(flagship, fn)
        for name in ("handler.py", "_wiring.py"):
            (out / "functions" / fn.folder / name).write_text(source, encoding="utf-8")
    return out


# -- text escaping -----------------------------------------------------------------------------
@pytest.mark.parametrize("text", TRICKY)
def test_literal_round_trips(text):
    assert ast.literal_eval(literal(text)) == text


@pytest.mark.parametrize("text", TRICKY)
def test_quote_is_one_safe_line(text):
    q = quote(text)
    assert "\n" not in q and "\r" not in q and "\u2028" not in q
    assert len(ast.literal_eval(q)) <= 48
    assert ast.literal_eval(f'"""x {q} y"""').startswith("x ")


# -- the flagship --------------------------------------------------------------------------------
def test_flagship_goldens(flagship, golden):
    artifacts = emit(flagship, Options())
    for a in artifacts:
        golden(a.content, GOLDEN / (a.path + ".golden"))
    paths = {a.path + ".golden" for a in artifacts}
    if not accepting():
        stale = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
        assert stale == paths, "golden files without an artifact (FZC_ACCEPT=1 after deleting)"
    owned = sorted(a.path.rsplit("/", 1)[-1] for a in artifacts if a.user_owned)
    assert set(owned) == {"handler.py", "test_handler.py"}
    assert len(owned) == 2 * len(flagship.functions)


def test_output_is_deterministic(flagship):
    assert emit(flagship, Options()) == emit(flagship, Options())


def test_wiring_uses_the_templates_env_names(flagship):
    by_path = {a.path: a.content for a in emit(flagship, Options())}
    for fn in flagship.functions:
        wiring = by_path[f"functions/{fn.folder}/_wiring.py"]
        for name, _ in fn.env:
            assert f'"{name}"' in wiring
        for call in fn.calls:
            assert f'os.environ["{call.env}"]' in wiring
            assert f'boto3.client("{call.service}")' in wiring
            assert f".{call.operation}(" in wiring


def test_choice_fields_follow_the_decision_convention(flagship):
    """The state machine starts at Choice "Processing Complete?": whoever starts it must
    send $.processingComplete with a branch value (fzc.wire.decisions)."""
    by_path = {a.path: a.content for a in emit(flagship, Options())}
    expected = {"processingComplete": ["Success", "Failure"]}
    for folder in ("image-processing-lambda", "webhook-handler-lambda"):
        assert choices(by_path[f"functions/{folder}/_wiring.py"]) == expected
    assert choices(by_path["functions/batch-job-lambda/_wiring.py"]) == {}


def test_step_before_a_choice_returns_its_field(tmp_path):
    text = (
        "Flow {\n"
        'n1: rectangle label:"Orders State Machine"\n'
        'n2: rectangle label:"Check Order Lambda"\n'
        'n3: diamond label:"Order Valid?"\n'
        'n4: rectangle label:"Ship Lambda"\n'
        'n5: rectangle label:"Reject Lambda"\n'
        "n1.handle(right) -> n2.handle(left)\n"
        "n2.handle(right) -> n3.handle(left)\n"
        'n3.handle(right) -> n4.handle(left) [label="Yes"]\n'
        'n3.handle(bottom) -> n5.handle(top) [label="No"]\n'
        "}\n"
    )
    plan = plan_of(text)
    write(plan, tmp_path)
    check = next(f for f in plan.functions if f.node == "n2")
    source = (tmp_path / "functions" / check.folder / "_wiring.py").read_text(encoding="utf-8")
    assert choices(source) == {"orderValid": ["Yes", "No"]}
    handler = (tmp_path / "functions" / check.folder / "handler.py").read_text(encoding="utf-8")
    assert "$.orderValid" in handler and "on_input" in handler
    assert "data[field] = values[0]" in handler  # the sample logic returns the field


def test_flagship_tests_pass_from_the_repo_root(flagship_out):
    pytest_passes(flagship_out / "functions", cwd=REPO)


def test_generated_code_is_ruff_clean(flagship_out, hostile_out, inline_out):
    ruff_clean(flagship_out, hostile_out, inline_out)


def test_stubs_import_with_boto3_alone(flagship_out, hostile_out):
    """Every handler (and so its _wiring) imports with moto, pytest and fzc blocked."""
    trees = (flagship_out, hostile_out)
    folders = sorted(p.parent for out in trees for p in out.rglob("handler.py"))
    script = (
        "import sys\n"
        "for name in ('moto', 'pytest', 'fzc', 'jinja2', 'yaml', 'lark'):\n"
        "    sys.modules[name] = None\n"
        "for folder in sys.argv[1:]:\n"
        "    sys.path.insert(0, folder)\n"
        "    import handler\n"
        "    assert callable(handler.handler)\n"
        "    sys.path.remove(folder)\n"
        "    del sys.modules['handler'], sys.modules['_wiring']\n"
        "print('ok', len(sys.argv) - 1)\n"
    )
    done = run("-c", script, *map(str, folders), env={"AWS_DEFAULT_REGION": "us-east-1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok", str(len(folders))]


# -- inline (Code.ZipFile) ---------------------------------------------------------------------
def test_inline_sources_fit_and_pass_the_generated_tests(flagship, inline_out):
    for fn in flagship.functions:
        source = inline_source(flagship, fn)
        assert len(source) <= ZIPFILE_LIMIT, (fn.logical_id, len(source))
        compile(source, "index.py", "exec")
        assert "def handler(event, context):" in source and "_wiring" not in source
    pytest_passes(inline_out / "functions", cwd=inline_out)


def test_inline_source_merges_a_hand_written_handler(flagship):
    fn = flagship.functions[0]
    mine = "import _wiring as wiring\n\n\ndef handler(event, context):\n    return wiring.CHOICES\n"
    merged = inline_source(flagship, fn, handler=mine)
    compile(merged, "index.py", "exec")
    assert "wiring = sys.modules[__name__]" in merged and "import _wiring" not in merged


# -- hand edits --------------------------------------------------------------------------------
def test_hand_edits_survive_a_new_edge(flagship, tmp_path):
    write(flagship, tmp_path)
    folder = tmp_path / "functions" / "batch-job-lambda"
    handler = folder / "handler.py"
    edited = handler.read_text(encoding="utf-8").replace(
        "    # TODO(fzc): your logic goes here.\n", '    data["edited"] = "by hand"\n'
    )
    assert "by hand" in edited
    handler.write_text(edited, encoding="utf-8")
    before = (folder / "_wiring.py").read_text(encoding="utf-8")

    text = FLAGSHIP.read_text(encoding="utf-8").replace(
        'n17: rectangle label:"SQS Dead Letter Queue"\n',
        'n17: rectangle label:"SQS Dead Letter Queue"\n'
        'n18: rectangle label:"Audit Queue"\n'
        'n8.handle(right) -> n18.handle(left) [label="Audit"]\n',
    )
    assert "Audit Queue" in text
    changed = plan_of(text, "event_processing.fz")
    write(changed, tmp_path)

    assert handler.read_text(encoding="utf-8") == edited
    batch = next(f for f in changed.functions if f.folder == "batch-job-lambda")
    env = next(c.env for c in batch.calls if c.target == "n18")
    assert env in dict(batch.env) and env not in before
    after = (folder / "_wiring.py").read_text(encoding="utf-8")
    assert f'os.environ["{env}"]' in after and f'"{env}": "sqs"' in after
    assert "def send_to_audit_queue(message: object) -> str:" in after
    assert "test_send_to_audit_queue" in (folder / "test_wiring.py").read_text(encoding="utf-8")
    pytest_passes(folder)


# -- hostile labels ------------------------------------------------------------------------------
def test_hostile_labels_compile_and_pass_their_tests(hostile, hostile_out):
    files = sorted(hostile_out.rglob("*.py"))
    assert len(files) == 1 + 4 * len(hostile.functions)
    for path in files:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    for fn in hostile.functions:
        compile(inline_source(hostile, fn), "index.py", "exec")
    folders = {p.parent.name for p in hostile_out.glob("functions/*/handler.py")}
    assert all(".." not in f and "/" not in f for f in folders)
    pytest_passes(hostile_out / "functions")
