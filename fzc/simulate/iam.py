"""A simple IAM matcher over a template's own policies (moto does not enforce IAM).

`statements(template, role)` gathers the statements that apply to a role: its inline
`Policies`, the template's `AWS::IAM::ManagedPolicy` resources it lists in
`ManagedPolicyArns` or that name it in `Roles`, and `AWS::IAM::Policy` resources naming it.
AWS-managed policies are not known here and grant nothing. `allows` matches an action on a
resource with IAM's wildcards (`*`, `?`); actions ignore case; an explicit Deny wins;
conditions are ignored, `NotAction` and `NotResource` statements are skipped.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from fzc.simulate.resolve import Resolver

_ATTACHED = ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")


def statements(template: dict, role: str, resolver: Resolver) -> list[dict]:
    """Every statement that applies to the role with logical id `role`, values resolved."""
    resources = template.get("Resources") or {}
    props = (resources.get(role) or {}).get("Properties") or {}
    docs = [p.get("PolicyDocument") or {} for p in props.get("Policies") or []]
    managed = {str(resolver.value(a)) for a in props.get("ManagedPolicyArns") or []}
    for lid, res in resources.items():
        if res.get("Type") not in _ATTACHED:
            continue
        p = res.get("Properties") or {}
        roles = [r.get("Ref") if isinstance(r, dict) else r for r in p.get("Roles") or []]
        if role in roles or resolver.attribute(lid, "Ref") in managed:
            docs.append(p.get("PolicyDocument") or {})
    found: list[dict] = []
    for doc in docs:
        s = resolver.value(doc).get("Statement") or []
        found += s if isinstance(s, list) else [s]
    return found


def role_of(value: Any) -> str | None:
    """The logical id of a role given as `!GetAtt Role.Arn` or `!Ref Role`."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        arg = value["Fn::GetAtt"]
        return arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return value["Ref"]
    return None


def allows(found: list[dict], action: str, resource: str) -> bool:
    """Whether the statements allow `action` on `resource` (and nothing denies it)."""
    allowed = False
    for s in found:
        if "NotAction" in s or "NotResource" in s:
            continue
        acts, res = _list(s.get("Action")), _list(s.get("Resource"))
        if not any(_glob(a, True).fullmatch(action) for a in acts):
            continue
        if not any(_glob(r, False).fullmatch(resource) for r in res):
            continue
        if s.get("Effect") == "Deny":
            return False
        allowed = allowed or s.get("Effect") == "Allow"
    return allowed


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@cache
def _glob(pattern: str, fold: bool) -> re.Pattern:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.IGNORECASE if fold else 0)
