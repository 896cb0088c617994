"""Run Lambda handlers in this process under moto, one handler per function name.

moto without Docker (`{"lambda": {"use_docker": False}}`) only echoes the payload, and with
Docker it needs a container per function. `InProcessLambdas` patches both paths for the
functions it knows: `LambdaFunction._invoke_lambda` (direct invokes, Step Functions tasks,
event source mappings) and `LambdaSimpleBackend.invoke` (the Docker-free backend). Other
functions keep moto's behaviour.

A handler is a callable `(event, context)`, `"package.module:function"` or
`"path/to/file.py:function"`. The function's environment variables are visible to its
handler through a thread-local `os.environ` overlay: moto runs executions in worker
threads that read os.environ while they make clients, and setting the real variables raced
them (KeyError on AWS_LAMBDA_FUNCTION_VERSION). An exception becomes a Lambda
function error whose `errorType` is the exception's class, so `Catch`/`Retry` by name work.
`current()` names the function whose handler runs in this thread (innermost first), so an
SDK call can be put down to the function that made it. `adjust`, when set, sees each result
before moto does and may replace it (`fzc simulate` forces a decision's branch with it).
`faults` maps a function name to an error name: that function's handler does not run, its
invocation fails as if the handler raised an exception of that name (`fzc simulate`'s
`fail`), so Step Functions sees the name as the error (`Sandbox.Timedout`, ...).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import sys
import threading
import traceback
import types
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

Handler = Callable[[Any, Any], Any]
_RUNNING = threading.local()  # .stack: names of the functions running in this thread


def current() -> str | None:
    """The function whose handler is running in this thread, innermost; None outside one."""
    stack = getattr(_RUNNING, "stack", ())
    return stack[-1] if stack else None


@dataclass(frozen=True, slots=True)
class Invocation:
    """One call of an in-process handler: the event, and its result or error."""

    function: str
    event: Any
    result: Any = None
    error: str | None = None  # "ErrorType: message" when the handler raised


class EnvOverlay(MutableMapping):
    """`os.environ` stand-in: per-thread layers over the real environment."""

    def __init__(self, base: MutableMapping) -> None:
        self.base = base
        self._tls = threading.local()

    def _layers(self) -> list[dict]:
        return getattr(self._tls, "layers", [])

    def push(self, layer: Mapping[str, str]) -> None:
        self._tls.layers = [*self._layers(), dict(layer)]

    def pop(self) -> None:
        self._tls.layers = self._layers()[:-1]

    def __getitem__(self, key: str) -> str:
        for layer in reversed(self._layers()):
            if key in layer:
                if layer[key] is None:
                    raise KeyError(key)
                return layer[key]
        return self.base[key]

    def __setitem__(self, key: str, value: str) -> None:
        layers = self._layers()
        if layers:
            layers[-1][key] = str(value)
        else:
            self.base[key] = value

    def __delitem__(self, key: str) -> None:
        layers = self._layers()
        if not layers:
            del self.base[key]
            return
        self[key]  # KeyError when absent, like os.environ
        layers[-1][key] = None

    def _keys(self) -> list[str]:
        keys = dict.fromkeys(self.base.keys())
        for layer in self._layers():
            for k, v in layer.items():
                if v is None:
                    keys.pop(k, None)
                else:
                    keys[k] = None
        return list(keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def copy(self) -> dict:
        return dict(self)


def load(spec: str | Handler) -> Handler:
    """A handler from a callable, `module:function` or `file.py:function`."""
    if callable(spec):
        return spec
    target, _, attr = spec.rpartition(":")
    if not target:
        raise ValueError(f"handler {spec!r}: expected 'module:function' or 'file.py:function'")
    module = _load_file(target) if target.endswith(".py") else importlib.import_module(target)
    return getattr(module, attr)


def _load_file(path: str) -> types.ModuleType:
    """Import a handler file with its folder first on sys.path (for its helper modules, such
    as a generated `_wiring.py`), then forget those helpers: every function folder has its
    own, and the loaded module keeps the ones it imported."""
    folder = os.path.dirname(os.path.abspath(path))
    name = "fzc_handler_" + re.sub(r"\W", "_", os.path.abspath(path))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    before = set(sys.modules)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
        for added in set(sys.modules) - before:
            if (getattr(sys.modules[added], "__file__", "") or "").startswith(folder + os.sep):
                del sys.modules[added]
    return module


class InProcessLambdas:
    """Context manager: while active, the registered functions run in-process."""

    def __init__(self, handlers: Mapping[str, str | Handler] | None = None) -> None:
        self.handlers: dict[str, Handler] = {}
        self.invocations: list[Invocation] = []
        self._saved: list[tuple[object, str, object]] = []
        self._environ: MutableMapping | None = None
        self.adjust: Callable[[str, Any], Any] | None = None  # (function, result) -> result
        self.faults: dict[str, str] = {}  # function name -> the error its invocations raise
        for name, spec in (handlers or {}).items():
            self.register(name, spec)

    def register(self, function_name: str, handler: str | Handler) -> None:
        self.handlers[function_name] = load(handler)

    def calls(self, function_name: str) -> list[Invocation]:
        return [i for i in self.invocations if i.function == function_name]

    def __enter__(self) -> InProcessLambdas:
        from moto.awslambda.models import LambdaBackend, LambdaFunction
        from moto.awslambda_simple.models import LambdaSimpleBackend

        runner = self
        original_invoke = LambdaFunction._invoke_lambda
        simple_invoke = LambdaSimpleBackend.invoke

        def invoke_lambda(fn, event=None):
            if fn.function_name not in runner.handlers:
                return original_invoke(fn, event)
            return runner._run(fn, event)

        def simple(backend, function_name, qualifier, body, headers, response_headers):
            fn = backend.get_function(function_name, qualifier)
            if fn.function_name not in runner.handlers:
                return simple_invoke(
                    backend, function_name, qualifier, body, headers, response_headers
                )
            return LambdaBackend.invoke(
                backend, function_name, qualifier, body, headers, response_headers
            )

        self._patch(LambdaFunction, "_invoke_lambda", invoke_lambda)
        self._patch(LambdaSimpleBackend, "invoke", simple)
        self._environ = os.environ
        if not isinstance(os.environ, EnvOverlay):
            # replacing the mapping object on purpose: os.getenv and boto3 read os.environ
            os.environ = EnvOverlay(os.environ)  # noqa: B003
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attr, value in reversed(self._saved):
            setattr(owner, attr, value)
        self._saved.clear()
        if self._environ is not None:
            os.environ = self._environ  # noqa: B003 (puts the real mapping back)

    def _patch(self, owner: object, attr: str, value: object) -> None:
        self._saved.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, value)

    def _run(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """moto's `_invoke_lambda` contract: (response body, errored, logs)."""
        if isinstance(event, str | bytes):
            try:
                event = json.loads(event)
            except ValueError:
                pass
        environ = os.environ
        overlay = isinstance(environ, EnvOverlay)
        if overlay:
            environ.push(_environment(fn))
        _RUNNING.stack = (*getattr(_RUNNING, "stack", ()), fn.function_name)
        try:
            if fn.function_name in self.faults:
                raise _fault(self.faults[fn.function_name])
            result = self.handlers[fn.function_name](event, _context(fn))
            if self.adjust is not None:
                result = self.adjust(fn.function_name, result)
            self.invocations.append(Invocation(fn.function_name, event, result))
            return json.dumps(result, default=str), False, ""
        except Exception as exc:  # the function raised: Lambda reports a function error
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            error["stackTrace"] = traceback.format_exc().strip().splitlines()[-4:]
            self.invocations.append(
                Invocation(fn.function_name, event, error=f"{type(exc).__name__}: {exc}")
            )
            return json.dumps(error), True, traceback.format_exc()
        finally:
            _RUNNING.stack = _RUNNING.stack[:-1]
            if overlay:
                environ.pop()


def _fault(error: str) -> Exception:
    """An exception whose class is named `error` (dots and all, as Lambda's `errorType`)."""
    return type(error, (Exception,), {})("injected by fzc simulate")


def _environment(fn: Any) -> dict[str, str]:
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
    }
    env.update({k: str(v) for k, v in (getattr(fn, "environment_vars", None) or {}).items()})
    return env


def _context(fn: Any) -> types.SimpleNamespace:
    timeout_ms = int(float(fn.timeout or 3) * 1000)
    return types.SimpleNamespace(
        function_name=fn.function_name,
        function_version="$LATEST",
        invoked_function_arn=fn.function_arn,
        memory_limit_in_mb=int(fn.memory_size),
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{fn.function_name}",
        log_stream_name="fzc-inprocess",
        get_remaining_time_in_millis=lambda: timeout_ms,
    )
