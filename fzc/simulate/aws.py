"""moto in this process, set up for a simulation, and put back as it was afterwards.

- `mock_aws` with Step Functions' executing backend and Docker-free Lambda (verify.md §6);
- an environment of its own: the user's `AWS_*` variables (profiles, endpoints) are hidden,
  fake credentials and the simulation's region set, so nothing can reach real AWS;
- a fresh default boto3 session, so the hooks that watch SDK calls see every client made
  during the run, the generated handlers' included;
- in-process Lambda handlers (`lambdas.InProcessLambdas`) and the Step Functions workarounds
  (`sfn.simulation`); moto's own log quietened (its ASL parser logs every Fail state).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from fzc.simulate.resolve import REGION

CONFIG = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
QUIET = ("moto", "botocore", "boto3")


@dataclass
class Aws:
    """The mocked AWS of one simulation: its boto3 session, clients and in-process Lambdas."""

    session: Any
    lambdas: Any
    _clients: dict = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=REGION)
        return self._clients[service]


@contextlib.contextmanager
def aws() -> Iterator[Aws]:
    from moto import mock_aws

    from fzc.simulate import sfn
    from fzc.simulate.lambdas import InProcessLambdas

    with contextlib.ExitStack() as stack:
        stack.enter_context(_environment())
        stack.enter_context(_quiet())
        stack.enter_context(mock_aws(config=CONFIG))
        session = stack.enter_context(_session())
        lambdas = stack.enter_context(InProcessLambdas())
        stack.enter_context(sfn.simulation())
        yield Aws(session, lambdas)


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    with mock.patch.dict(os.environ):
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update(ENVIRONMENT)
        yield


@contextlib.contextmanager
def _session() -> Iterator[Any]:
    import boto3

    saved = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = boto3.session.Session(region_name=REGION)
    try:
        yield boto3.DEFAULT_SESSION
    finally:
        boto3.DEFAULT_SESSION = saved


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """moto's log and its warnings about resource types its CloudFormation ignores (the
    deployment fills those in and reports what it did)."""
    loggers = [logging.getLogger(name) for name in QUIET]
    saved = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for log, level in zip(loggers, saved, strict=True):
            log.setLevel(level)
