"""Planner state: resources, roles and functions as they are being built."""

from __future__ import annotations

from functools import cache

from fzc.model import Diagram
from fzc.source import Span
from fzc.wire import ids
from fzc.wire.draft import DraftFunction, DraftResource, End
from fzc.wire.infer import Typed
from fzc.wire.refs import ATTRS, getatt, sub

LAMBDA_TIMEOUT = 30  # seconds; SQS visibility timeouts are derived from it (6x, AWS guidance)
ASSUME = {
    "lambda": "lambda.amazonaws.com",
    "states": "states.amazonaws.com",
    "events": "events.amazonaws.com",
}


@cache
def trust(service: str) -> dict:
    """The role's trust policy; one shared value per service (plans are never mutated below
    the top level of a resource's properties)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ASSUME[service]},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def short(text: str, limit: int = 240):
    """A description value: capped (256 for Lambda), and a literal `${` kept literal.

    CloudFormation leaves `${...}` alone outside `Fn::Sub`, but linters read it as a missed
    substitution (cfn-lint E1029), so such text is joined from pieces that hold no `${`.
    """
    return literal(text if len(text) <= limit else text[: limit - 3] + "...")


def literal(text: str):
    """`text` as a CloudFormation value that no linter mistakes for a substitution."""
    return {"Fn::Join": ["$", text.split("$")]} if "${" in text else text


def plain(text: str) -> str:
    """For places that take no intrinsic function (output descriptions): defuse `${`."""
    return text.replace("${", "$ {")


class Builder:
    def __init__(self, diagram: Diagram, typed: dict[str, Typed]):
        self.diagram = diagram
        self.typed = typed
        self.alloc = ids.Allocator()
        self.resources: dict[str, DraftResource] = {}
        self.primary: dict[str, str] = {}  # node id -> primary logical id
        self.slugs: dict[str, str] = {}  # node id -> physical-name slug
        self.owned: dict[str, list[str]] = {}  # node id -> logical ids it caused
        self.functions: dict[str, DraftFunction] = {}  # function logical id -> draft
        self.roles: dict[str, str] = {}  # holder logical id -> role logical id
        self.diagnostics: list = []  # what components find (e.g. a bad schedule expression)
        self._statements: dict[tuple, dict] = {}  # (role, actions) -> its policy statement
        self._resource_keys: dict[tuple, set[str]] = {}
        self._folders: set[str] = set()

    # -- resources -----------------------------------------------------------------------
    def add(
        self,
        lid: str,
        type_: str,
        props: dict,
        *,
        span: Span,
        lane: str | None,
        origin: str,
        node: str | None = None,
        **extra,
    ) -> DraftResource:
        res = DraftResource(lid, type_, props, span, lane, origin, **extra)
        self.resources[lid] = res
        if node is not None:
            self.owned.setdefault(node, []).append(lid)
        return res

    def derived(self, base: str, suffix: str) -> str:
        return self.alloc.claim(base + suffix)

    def end(self, node_id: str) -> End:
        t = self.typed[node_id]
        return End(node_id, t.kind.name, self.primary.get(node_id, ""), self.slugs.get(node_id, ""))

    def attr(self, end: End, name: str):
        return ATTRS[end.kind][name](end.lid, end.slug)

    # -- roles and grants ----------------------------------------------------------------
    def role(
        self, holder: str, service: str, span: Span, lane: str | None, origin: str, node: str | None
    ) -> str:
        lid = self.derived(holder, "Role")
        self.add(
            lid,
            "AWS::IAM::Role",
            {"AssumeRolePolicyDocument": trust(service), "Policies": []},
            span=span,
            lane=lane,
            origin=origin,
            node=node,
        )
        self.roles[holder] = lid
        return lid

    def grant(self, holder: str, actions: tuple[str, ...], resources: list) -> str:
        role = self.resources[self.roles[holder]]
        policies = role.properties["Policies"]
        if not policies:
            policies.append(
                {
                    "PolicyName": "fzc-wiring",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": []},
                }
            )
        statements = policies[0]["PolicyDocument"]["Statement"]
        # One statement per action set, resources appended: linear, and IAM's inline policy
        # size limit is reached much later than with a statement per edge.
        key = (role.logical_id, tuple(sorted(actions)))
        statement = self._statements.get(key)
        if statement is None:
            statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": []}
            self._statements[key] = statement
            self._resource_keys[key] = set()
            statements.append(statement)
        for r in resources:
            rkey = repr(r)
            if rkey not in self._resource_keys[key]:
                self._resource_keys[key].add(rkey)
                statement["Resource"].append(r)
        return role.logical_id

    # -- functions -----------------------------------------------------------------------
    def function(
        self,
        lid: str,
        label: str,
        span: Span,
        lane: str | None,
        origin: str,
        *,
        node: str | None,
        edge: int | None,
        description: str,
    ) -> DraftFunction:
        folder = ids.slug(label, lid, 47)
        if folder in self._folders:
            folder = ids.slug(f"{label} {lid}", lid, 60)
        n = 2
        base = folder
        while folder in self._folders:
            folder, n = f"{base[:55]}-{n}", n + 1
        self._folders.add(folder)
        role = self.role(lid, "lambda", span, lane, origin, node)
        log = self.derived(lid, "LogGroup")
        self.add(
            log,
            "AWS::Logs::LogGroup",
            {"LogGroupName": sub(f"/aws/lambda/${{Prefix}}-{folder}"), "RetentionInDays": 30},
            span=span,
            lane=lane,
            origin=origin,
            node=node,
            deletion_policy="Delete",
        )
        self.add(
            lid,
            "AWS::Lambda::Function",
            {
                "FunctionName": sub(f"${{Prefix}}-{folder}"),
                "Description": short(description),
                "Runtime": "python3.12",
                "Handler": "handler.handler",
                "Code": None,  # filled by the backend: a folder to package, or inline source
                "Role": getatt(role, "Arn"),
                "Timeout": LAMBDA_TIMEOUT,
                "MemorySize": 256,
                "LoggingConfig": {"LogGroup": {"Ref": log}},
            },
            span=span,
            lane=lane,
            origin=origin,
            node=node,
        )
        self.grant(lid, ("logs:CreateLogStream", "logs:PutLogEvents"), [getatt(log, "Arn")])
        draft = DraftFunction(lid, node, edge, label, folder, description, role)
        self.functions[lid] = draft
        return draft
