"""Step Functions under moto's ASL interpreter: register a definition, run it, trace it.

Use inside `mock_aws(config={"stepfunctions": {"execute_state_machine": True}})`. A machine
deployed through moto's CloudFormation lands in the non-executing backend, so definitions
are registered here directly with `create_state_machine`, placeholders filled (`fill`).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import types
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Execution:
    """How one execution under moto ended, and the states it went through."""

    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or RUNNING after a timeout
    output: Any = None
    error: str | None = None
    cause: str | None = None
    entered: tuple[str, ...] = field(default=())  # state names in the order entered
    # (state left, state entered) pairs; None for the first state of a machine or branch.
    # Parallel branches interleave in `entered`; these follow each branch's own events.
    transitions: tuple[tuple[str | None, str], ...] = field(default=())


def fill(definition: dict, values: Mapping[str, str]) -> str:
    """The definition as JSON with every `${key}` replaced; unknown keys are an error."""
    text = json.dumps(definition)
    missing = sorted({k for k in _PLACEHOLDER.findall(text) if k not in values})
    if missing:
        raise KeyError(f"no value for substitutions {missing}")
    # json.dumps(...)[1:-1]: the value escaped for use inside a JSON string
    return _PLACEHOLDER.sub(lambda m: json.dumps(str(values[m.group(1)]))[1:-1], text)


def register(client: Any, name: str, definition: str, role_arn: str) -> str:
    return client.create_state_machine(name=name, definition=definition, roleArn=role_arn)[
        "stateMachineArn"
    ]


def start(client: Any, arn: str, payload: Any, name: str) -> str:
    # always name executions: without a name moto's $$.Execution.Name is null
    return client.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))[
        "executionArn"
    ]


def wait(client: Any, execution_arn: str, timeout: float = 30.0) -> Execution:
    deadline = time.monotonic() + timeout
    while True:
        d = client.describe_execution(executionArn=execution_arn)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    output = json.loads(d["output"]) if d.get("output") else None
    events = list(_history(client, execution_arn))
    entered = tuple(name for _, name in _transitions(events))
    return Execution(
        d["status"], output, d.get("error"), d.get("cause"), entered, _transitions(events)
    )


def run(client: Any, arn: str, payload: Any, name: str, timeout: float = 30.0) -> Execution:
    return wait(client, start(client, arn, payload, name), timeout)


def _history(client: Any, execution_arn: str) -> Iterator[dict]:
    kwargs = {"executionArn": execution_arn}
    while True:
        page = client.get_execution_history(**kwargs)
        yield from page["events"]
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def _transitions(events: list[dict]) -> tuple[tuple[str | None, str], ...]:
    by_id = {e["id"]: e for e in events}
    found = []
    for e in events:
        if "stateEnteredEventDetails" not in e:
            continue
        before = by_id.get(e.get("previousEventId"), {})
        left = before.get("stateExitedEventDetails", {}).get("name")
        found.append((left, e["stateEnteredEventDetails"]["name"]))
    return tuple(found)


@contextlib.contextmanager
def instant_retries() -> Iterator[None]:
    """moto's interpreter sleeps for real between retries; skip the waits."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    saved = retrier_decl.time
    retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: None)
    try:
        yield
    finally:
        retrier_decl.time = saved


@contextlib.contextmanager
def start_execution_fix() -> Iterator[None]:
    """moto 5.2 hands the `states:startExecution` task's ASL parameters (`StateMachineArn`,
    `Input`, `Name`, as AWS documents them) to boto3 unchanged, whose Step Functions API
    spells them `stateMachineArn`, `input`, `name`: botocore raises KeyError and the task
    fails with States.Runtime. Lower-case the first letter for that call. Without a `Name`,
    moto names the execution `None` (AWS: a UUID), and the second one fails with
    ExecutionAlreadyExists: give it a UUID."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn as module,
    )

    cls = module.StateTaskServiceSfn
    saved = cls._eval_service_task

    def fixed(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        params = {k[:1].lower() + k[1:]: v for k, v in normalised_parameters.items()}
        if self.resource.api_action.lower() == "startexecution":
            params.setdefault("name", str(uuid.uuid4()))
        return saved(self, env, resource_runtime_part, params, state_credentials)

    cls._eval_service_task = fixed
    try:
        yield
    finally:
        cls._eval_service_task = saved


@contextlib.contextmanager
def simulation() -> Iterator[None]:
    """Both moto adjustments above."""
    with instant_retries(), start_execution_fix():
        yield
