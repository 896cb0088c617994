"""What a CloudFormation value points at: `Ref`, `GetAtt`, `Sub` variables, physical names
written out in strings (fzc builds bucket ARNs from the bucket's name), and, for a deployed
stack, literal ARNs, names and URLs of the stack's resources.

`Index` answers "which resources does this value name?" and "which principal resource
(function, state machine, rule ...) stands behind this one?" (a role stands for the functions
that use it). The same index serves the plan's resources and a template's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

# CloudFormation type -> class shared with the plan's node kinds. Only these are "entities":
# the things diagram nodes stand for; everything else realises connections between them.
ENTITY_TYPES: dict[str, str] = {
    "AWS::S3::Bucket": "s3",
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::DynamoDB::GlobalTable": "dynamodb",
    "AWS::ApiGatewayV2::Api": "http-api",
    "AWS::ApiGateway::RestApi": "http-api",
    "AWS::Events::Rule": "schedule",
    "AWS::Scheduler::Schedule": "schedule",
    "AWS::Events::EventBus": "event-bus",
    "AWS::SQS::Queue": "sqs",
    "AWS::SNS::Topic": "sns",
    "AWS::Kinesis::Stream": "kinesis",
    "AWS::StepFunctions::StateMachine": "sfn",
    "AWS::Lambda::Function": "lambda",
}

# Physical-name property per type (names written into ARNs by hand or by fzc).
NAME_PROPERTY: dict[str, str] = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Events::EventBus": "Name",
}

# ARN service -> types a literal ARN of that service can name.
ARN_SERVICE: dict[str, tuple[str, ...]] = {
    "s3": ("AWS::S3::Bucket",),
    "lambda": ("AWS::Lambda::Function",),
    "sqs": ("AWS::SQS::Queue",),
    "sns": ("AWS::SNS::Topic",),
    "dynamodb": ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"),
    "states": ("AWS::StepFunctions::StateMachine",),
    "events": ("AWS::Events::Rule", "AWS::Events::EventBus"),
    "kinesis": ("AWS::Kinesis::Stream",),
    "iam": ("AWS::IAM::Role",),
}

_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_NAME_EDGE = "/:\"'*,"  # what may stand right before or after a physical name in a string
_EDGE_CHAR = re.compile("[" + re.escape(_NAME_EDGE) + "]")


def sub_vars(text: str) -> list[str]:
    """`${X}` / `${X.Arn}` variables of a `Fn::Sub` string (`${!X}` is a literal)."""
    return [m.group(1).strip() for m in _VAR.finditer(text)]


def flatten(value, holes: dict | None = None) -> str | None:
    """A string value with intrinsics written as `${X}` placeholders; None when not a string.
    Values that cannot be spelled out go to `holes` under a fresh placeholder name."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((key, arg),) = value.items()
    if key == "Ref" and isinstance(arg, str):
        return f"${{{arg}}}"
    if key == "Fn::GetAtt":
        parts = arg.split(".", 1) if isinstance(arg, str) else arg
        if isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts):
            return f"${{{parts[0]}.{parts[1]}}}"
    if key == "Fn::Sub":
        return _flatten_sub(arg, holes)
    if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        sep, items = arg
        if isinstance(sep, str) and isinstance(items, list):
            parts = [flatten(i, holes) for i in items]
            if holes is not None:
                parts = [
                    p if p is not None else _hole(items[i], holes) for i, p in enumerate(parts)
                ]
            if all(p is not None for p in parts):
                return sep.join(parts)
    return _hole(value, holes) if holes is not None else None


def _hole(value, holes: dict) -> str:
    name = f"__fzc_hole_{len(holes)}"
    holes[name] = value
    return f"${{{name}}}"


def _flatten_sub(arg, holes: dict | None) -> str | None:
    if isinstance(arg, str):
        return arg
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        text, mapping = arg
        mapping = mapping if isinstance(mapping, dict) else {}

        def fill(m: re.Match) -> str:
            name = m.group(1).strip()
            if name not in mapping:
                return m.group(0)
            inner = flatten(mapping[name], holes)
            return inner if inner is not None else m.group(0)

        return _VAR.sub(fill, text)
    return None


def _walk(value) -> Iterator:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


@dataclass
class Index:
    """Resources of one template (or of the plan) and how values point at them."""

    resources: Mapping[str, dict]  # logical id -> {"Type", "Properties", ...}
    physical: Mapping[str, str] = field(default_factory=dict)  # logical id -> physical id
    names: dict[str, str] = field(init=False)  # physical-name text -> logical id
    literal: dict[tuple[str, str], str] = field(init=False)  # (type, literal name) -> logical id
    owners: dict[str, tuple[str, ...]] = field(init=False)  # role -> principals using it
    _longest: int = field(init=False, repr=False)  # length of the longest name

    def __post_init__(self) -> None:
        self.names = {}
        for lid in sorted(self.resources):
            prop = NAME_PROPERTY.get(self.type(lid))
            text = flatten(self.props(lid).get(prop)) if prop else None
            if text and len(text) >= 3 and text not in self.names:
                self.names[text] = lid
        self._longest = max(map(len, self.names), default=0)
        self.literal = {}
        for lid, phys in sorted(self.physical.items()):
            for name in _physical_names(phys):
                self.literal.setdefault((self.type(lid), name), lid)
        self.owners = self._role_owners()

    # --- plain access -------------------------------------------------------------------
    def type(self, lid: str) -> str:
        body = self.resources.get(lid)
        return body.get("Type", "") if isinstance(body, dict) else ""

    def props(self, lid: str) -> dict:
        body = self.resources.get(lid)
        props = body.get("Properties") if isinstance(body, dict) else None
        return props if isinstance(props, dict) else {}

    def ids_of(self, *types: str) -> list[str]:
        return sorted(lid for lid in self.resources if self.type(lid) in types)

    def entities(self) -> list[str]:
        return sorted(lid for lid in self.resources if self.type(lid) in ENTITY_TYPES)

    # --- references ---------------------------------------------------------------------
    def refs(self, value) -> set[str]:
        """Logical ids of the template's resources that `value` names."""
        found: set[str] = set()
        for v in _walk(value):
            if isinstance(v, dict) and len(v) == 1:
                found |= self._intrinsic(*next(iter(v.items())))
            elif isinstance(v, str):
                found |= self._in_text(v)
        return found

    def _intrinsic(self, key: str, arg) -> set[str]:
        if key == "Ref" and isinstance(arg, str) and arg in self.resources:
            return {arg}
        if key == "Fn::GetAtt":
            head = arg.split(".", 1)[0] if isinstance(arg, str) else (arg or [None])[0]
            return {head} if isinstance(head, str) and head in self.resources else set()
        if key == "Fn::Sub":
            text = arg if isinstance(arg, str) else (arg[0] if isinstance(arg, list) else "")
            local = arg[1] if isinstance(arg, list) and len(arg) > 1 else {}
            local = local if isinstance(local, dict) else {}
            found = {
                v.split(".", 1)[0]
                for v in sub_vars(text if isinstance(text, str) else "")
                if v not in local and v.split(".", 1)[0] in self.resources
            }
            flat = flatten({"Fn::Sub": arg})
            return found | (self._named(flat) if flat else set())
        if key == "Fn::Join":
            flat = flatten({"Fn::Join": arg})
            return self._named(flat) if flat else set()
        return set()

    def _in_text(self, text: str) -> set[str]:
        return self._named(text) | self._literal(text)

    def _named(self, text: str) -> set[str]:
        """Resources whose physical name (as written in the template) appears in `text`,
        standing between two of `_NAME_EDGE` (or the ends of the text). Every such stretch
        no longer than the longest name is looked up, so the cost follows the text, not the
        number of resources (a scan per name made large templates quadratic)."""
        if not self.names:
            return set()
        edges = [m.start() for m in _EDGE_CHAR.finditer(text)]
        starts = [0, *(d + 1 for d in edges)]
        ends = [*edges, len(text)]
        found, first, longest = set(), 0, self._longest
        for start in starts:
            while first < len(ends) and ends[first] < start + 3:  # names have 3 chars or more
                first += 1
            for end in ends[first:]:
                if end - start > longest:
                    break
                lid = self.names.get(text[start:end])
                if lid is not None:
                    found.add(lid)
        return found

    def _literal(self, text: str) -> set[str]:
        """A deployed stack's resources named by a literal ARN, URL or name."""
        if not self.literal or "${" in text:
            return set()
        types = _arn_types(text)
        found = set()
        for candidate in _candidates(text):
            for t in types:
                lid = self.literal.get((t, candidate))
                if lid:
                    found.add(lid)
            if found:
                return found
        return found

    # --- principals ---------------------------------------------------------------------
    def entity_of(self, lid: str) -> tuple[str, ...]:
        """The principal resources `lid` stands for: itself, or the users of a role."""
        if self.type(lid) in ENTITY_TYPES:
            return (lid,)
        return self.owners.get(lid, ())

    def entity_refs(self, value) -> set[str]:
        return {e for lid in self.refs(value) for e in self.entity_of(lid)}

    def _role_owners(self) -> dict[str, tuple[str, ...]]:
        roles = set(self.ids_of("AWS::IAM::Role"))
        owners: dict[str, set[str]] = {}
        for lid in self.entities():
            for value in _role_values(self.type(lid), self.props(lid)):
                for role in self.refs(value) & roles:
                    owners.setdefault(role, set()).add(lid)
        return {role: tuple(sorted(v)) for role, v in owners.items()}


def _role_values(type_: str, props: dict) -> Iterable:
    if type_ == "AWS::Lambda::Function":
        yield props.get("Role")
    elif type_ == "AWS::StepFunctions::StateMachine":
        yield props.get("RoleArn")
    elif type_ == "AWS::Events::Rule":
        for t in props.get("Targets") or []:
            if isinstance(t, dict):
                yield t.get("RoleArn")
    elif type_ == "AWS::Scheduler::Schedule":
        target = props.get("Target")
        if isinstance(target, dict):
            yield target.get("RoleArn")


def _physical_names(physical: str) -> list[str]:
    """The forms a physical id takes inside ARNs: itself, its last path or ARN segment."""
    out = [physical]
    if physical.startswith("https://"):
        out.append(physical.rstrip("/").rsplit("/", 1)[-1])  # queue URL -> queue name
    if physical.startswith("arn:"):
        out += _candidates(physical)[1:]
    if "|" in physical:
        out.append(physical.rsplit("|", 1)[-1])  # event rule on a custom bus: "bus|name"
    return list(dict.fromkeys(out))


def _candidates(text: str) -> list[str]:
    """Names a literal ARN may carry: the whole text, the resource part, its segments."""
    out = [text]
    if text.startswith("https://"):
        out.append(text.rstrip("/").rsplit("/", 1)[-1])
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) == 6:
            resource = parts[5]
            out.append(resource)
            segments = [s for s in re.split(r"[:/]", resource) if s]
            kinds = {"function", "table", "stateMachine", "rule", "stream", "event-bus", "role"}
            out += [s for s in segments if s not in kinds and s != "*"]
    return list(dict.fromkeys(out))


def _arn_types(text: str) -> tuple[str, ...]:
    if text.startswith("arn:"):
        parts = text.split(":")
        return ARN_SERVICE.get(parts[2], ()) if len(parts) > 2 else ()
    if text.startswith("https://") and "sqs" in text:
        return ARN_SERVICE["sqs"]
    return tuple(t for ts in ARN_SERVICE.values() for t in ts)
