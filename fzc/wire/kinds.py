"""Node kinds: which AWS resource (or workflow state) each FlowZap node is, and why.

FlowZap nodes are untyped (a shape and free text), so the kind comes from, in order:
an explicit `system:` attribute, service keywords in the label, then the shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class Kind:
    """A node kind: the AWS resource (or workflow state) a node is, and how it is recognised."""

    name: str  # short name, also accepted in `system:`
    cfn_type: str | None  # primary CloudFormation type; None for state-only kinds
    aliases: tuple[str, ...]  # other `system:` spellings (lower case)
    keywords: tuple[str, ...]  # regular expressions over the lower-cased label
    category: str  # "service", "compute" or "state"


KINDS: tuple[Kind, ...] = (
    Kind("s3", "AWS::S3::Bucket", ("bucket", "s3-bucket"), (r"\bs3\b", r"\bbuckets?\b"), "service"),
    Kind(
        "dynamodb",
        "AWS::DynamoDB::Table",
        ("dynamo", "table", "dynamodb-table"),
        (r"\bdynamo ?db\b", r"\bdynamo\b", r"\bddb\b"),
        "service",
    ),
    Kind(
        "http-api",
        "AWS::ApiGatewayV2::Api",
        ("apigateway", "api-gateway", "api", "httpapi"),
        (r"\bapi ?gateway\b", r"\bhttp api\b", r"\brest api\b"),
        "service",
    ),
    Kind(
        "schedule",
        "AWS::Events::Rule",
        ("cron", "rule", "scheduled-rule", "events-rule"),
        (r"\bschedul(?:e|ed|er)\b", r"\bcron\b", r"\brate\(", r"\bcloudwatch (?:rule|event)s?\b"),
        "service",
    ),
    Kind(
        "event-bus",
        "AWS::Events::EventBus",
        ("eventbridge", "eventbus", "bus"),
        (r"\beventbridge\b", r"\bevent ?bus\b"),
        "service",
    ),
    Kind(
        "sqs",
        "AWS::SQS::Queue",
        ("queue", "sqs-queue", "dlq"),
        (r"\bsqs\b", r"\bqueues?\b", r"\bdlq\b", r"\bdead[- ]letter\b"),
        "service",
    ),
    Kind("sns", "AWS::SNS::Topic", ("topic", "sns-topic"), (r"\bsns\b", r"\btopics?\b"), "service"),
    Kind("kinesis", "AWS::Kinesis::Stream", ("kinesis-stream",), (r"\bkinesis\b",), "service"),
    Kind(
        "sfn",
        "AWS::StepFunctions::StateMachine",
        ("stepfunctions", "step-functions", "statemachine", "state-machine", "states"),
        (r"\bstep ?functions?\b", r"\bstate ?machines?\b", r"\bsfn\b"),
        "service",
    ),
    Kind(
        "lambda",
        "AWS::Lambda::Function",
        ("function", "lambda-function", "step"),
        (r"\blambdas?\b", r"λ"),
        "compute",
    ),
    Kind("choice", None, ("decision",), (), "state"),
    Kind("start", None, (), (), "state"),
    Kind("end", None, (), (), "state"),
    Kind("pass", None, ("milestone",), (), "state"),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
_SYSTEM: dict[str, Kind] = {}
for _k in KINDS:
    for _alias in (_k.name, *_k.aliases):
        _SYSTEM[_alias] = _k
    if _k.cfn_type:
        _SYSTEM[_k.cfn_type.lower()] = _k
_KEYWORDS = tuple((re.compile(p), k) for k in KINDS for p in k.keywords)

# Where two kinds' keywords both match, the more specific one wins without a warning.
_PRECEDENCE = {
    frozenset({"schedule", "event-bus"}): "schedule",
    frozenset({"sqs", "lambda"}): None,  # genuinely ambiguous: "Lambda queue"?
}
# A queue whose label says this is a dead-letter queue (role, not a separate kind).
KEYWORD_WINDOW = 500  # characters of a label searched for service names (labels can be huge)
DLQ_WORDS = re.compile(r"\bdlq\b|\bdead[- ]letter\b")
STREAM_WORDS = re.compile(r"\bstreams?\b")


@cache
def _any_keyword() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p.pattern})" for p, _ in _KEYWORDS))


def lookup_system(value: str) -> Kind | None:
    key = re.sub(r"[\s_]+", "-", value.strip().lower())
    return _SYSTEM.get(key) or _SYSTEM.get(key.replace("-", ""))


def keyword_kinds(label: str) -> list[tuple[int, Kind]]:
    """(last match position, kind) for every kind whose keywords match, in label order."""
    text = label[:KEYWORD_WINDOW].lower()
    if not _any_keyword().search(text):  # most labels name no service: one scan, not ~40
        return []
    found: dict[str, tuple[int, Kind]] = {}
    for pattern, kind in _KEYWORDS:
        for m in pattern.finditer(text):
            pos = m.start()
            if kind.name not in found or found[kind.name][0] < pos:
                found[kind.name] = (pos, kind)
    return sorted(found.values(), key=lambda pk: (pk[0], pk[1].name))


def settle(candidates: list[tuple[int, Kind]]) -> tuple[Kind, bool]:
    """Pick one kind from keyword matches: (kind, ambiguous?). The last keyword wins,
    as the head noun of an English label comes last ("S3 Trigger Lambda" is a function)."""
    names = frozenset(k.name for _, k in candidates)
    preferred = _PRECEDENCE.get(names)
    if preferred:
        return BY_NAME[preferred], False
    return candidates[-1][1], len(candidates) > 1


def system_hint(kind: Kind) -> str:
    return f'system:"{kind.cfn_type or kind.name}"'


SYSTEM_NAMES = tuple(k.name for k in KINDS)
