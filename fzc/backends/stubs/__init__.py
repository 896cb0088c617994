"""Lambda stubs backend: handler code that matches the wiring, and never eats hand edits.

Per function, under `functions/<folder>/`:

* `_wiring.py` (generated, rewritten on every compile): boto3 clients, the env vars the
  template sets, event parsing for each way the function is invoked, one helper per
  outgoing edge;
* `handler.py` (user-owned, written once): `handler` -> `wiring.dispatch` -> `on_*`
  functions -> `process`, which calls the helpers;
* `test_wiring.py` (generated) and `test_handler.py` (user-owned), run against moto.

Plus `functions/conftest.py`, `functions/pytest.ini` and `requirements-dev.txt` (generated).
`inline_source` merges wiring and handler into one module for `Code.ZipFile` (`index.handler`).
"""

from __future__ import annotations

import re

from fzc.backends import Artifact, Options
from fzc.backends.stubs.render import render
from fzc.backends.stubs.tables import TEST_NEEDS
from fzc.backends.stubs.view import Stub, stub
from fzc.wire.plan import Function, Plan

ZIPFILE_LIMIT = 4096  # characters CloudFormation accepts in Code.ZipFile
_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_IMPORT = re.compile(r"^import _wiring as wiring\n", re.MULTILINE)


def folder(fn: Function) -> str:
    """The function's folder under functions/ (the plan's, if it is one plain name)."""
    if _FOLDER.match(fn.folder) and ".." not in fn.folder:
        return fn.folder
    return fn.logical_id.lower()


def emit(plan: Plan, options: Options) -> list[Artifact]:
    if not plan.functions:
        return []
    out = [
        Artifact("requirements-dev.txt", render("requirements-dev.txt.j2")),
        Artifact("functions/pytest.ini", render("pytest.ini.j2")),
        Artifact("functions/conftest.py", render("conftest.py.j2")),
    ]
    for fn in plan.functions:
        out += _function_files(stub(plan, fn), f"functions/{folder(fn)}/")
    return out


def _function_files(s: Stub, base: str) -> list[Artifact]:
    return [
        Artifact(base + "_wiring.py", render("wiring.py.j2", s=s, compact=False)),
        Artifact(base + "handler.py", _handler(s), user_owned=True),
        Artifact(base + "test_wiring.py", render("test_wiring.py.j2", s=s, **_tests(s))),
        Artifact(base + "test_handler.py", render("test_handler.py.j2", s=s, compact=False), True),
    ]


def _handler(s: Stub) -> str:
    return render("handler.py.j2", s=s, compact=False, w="wiring.")


def _tests(s: Stub) -> dict:
    needs = {"pytest"}
    for key in [h.parser for h in s.hooks] + [c.macro for c in s.calls]:
        needs.update(TEST_NEEDS.get(key, ()))
    std = [f"import {m}" for m in ("json", "os") if m in needs]
    third = [f"import {m}" for m in ("boto3", "pytest") if m in needs]
    return {"test_imports": std + ([""] if std else []) + third, "compact": False}


def inline_source(plan: Plan, function: Function, handler: str | None = None) -> str:
    """One module (`index`, handler `index.handler`) for CloudFormation's `Code.ZipFile`.

    Without `handler`, the wiring and the generated sample logic, compact. With the text of
    the user's handler.py, the wiring followed by that text, whose `import _wiring as
    wiring` then names this very module. The result may exceed ZIPFILE_LIMIT; the caller
    decides what to do then (package the folder instead).
    """
    s = stub(plan, function)
    if handler is None:
        return render("inline.py.j2", s=s, compact=True, w="")
    wiring = render("wiring.py.j2", s=s, compact=True)
    own = _IMPORT.sub("import sys\n\nwiring = sys.modules[__name__]\n", handler, count=1)
    return wiring + "\n\n# -- handler.py " + "-" * 70 + "\n" + own
