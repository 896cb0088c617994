"""A deployed stack as a template: the stack's template with the live configuration the
wiring depends on laid over it, so a mapping or notification deleted after deployment shows
as drift. The command reads AWS (fzc/commands/aws.py) into a `Snapshot`; this is pure.

Live parts: bucket notifications (`get_bucket_notification_configuration`), event source
mappings (`list_event_source_mappings`) and rule targets (`list_targets_by_rule`). They name
resources by ARN, URL or physical name; `Index` resolves those through `physical`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

# API field -> (template key, field in each template entry)
_NOTIFY_API = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "LambdaConfigurations", "Function"),
    ("QueueConfigurations", "QueueArn", "QueueConfigurations", "Queue"),
    ("TopicConfigurations", "TopicArn", "TopicConfigurations", "Topic"),
)


@dataclass(frozen=True)
class Mapping:
    """A live event source mapping, as `list_event_source_mappings` lists it."""

    uuid: str
    source: str  # EventSourceArn
    function: str  # FunctionArn


@dataclass
class Snapshot:
    """What was read from a deployed stack: its template, physical ids and live wiring."""

    name: str  # the stack name
    template: dict  # the deployed template, parsed (SAM expanded)
    physical: dict[str, str]  # logical id -> physical id
    notifications: dict[str, dict] = field(default_factory=dict)  # bucket lid -> API response
    mappings: list[Mapping] = field(default_factory=list)
    targets: dict[str, list[dict]] = field(default_factory=dict)  # rule lid -> API targets


def _notification_config(api: dict) -> dict:
    out: dict[str, list] = {}
    for api_key, arn_key, key, entry_field in _NOTIFY_API:
        for c in api.get(api_key) or []:
            for event in c.get("Events") or ["s3:ObjectCreated:*"]:
                out.setdefault(key, []).append({"Event": event, entry_field: c.get(arn_key)})
    return out


def overlay(snap: Snapshot) -> dict:
    """The deployed template with its live wiring in place of what it declared."""
    template = copy.deepcopy(snap.template)
    resources = template.setdefault("Resources", {})
    for lid, api in sorted(snap.notifications.items()):
        props = resources.get(lid, {}).setdefault("Properties", {})
        config = _notification_config(api)
        if config:
            props["NotificationConfiguration"] = config
        else:
            props.pop("NotificationConfiguration", None)
    by_uuid = {
        snap.physical.get(lid): lid
        for lid, body in resources.items()
        if body.get("Type") == "AWS::Lambda::EventSourceMapping"
    }
    for lid in [v for v in by_uuid.values()]:
        del resources[lid]  # declared mappings: only the live ones count
    for m in sorted(snap.mappings, key=lambda m: (m.function, m.source, m.uuid)):
        lid = by_uuid.get(m.uuid) or f"LiveMapping{m.uuid.replace('-', '')[:12]}"
        resources[lid] = {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {"EventSourceArn": m.source, "FunctionName": m.function},
        }
    for lid, targets in sorted(snap.targets.items()):
        props = resources.get(lid, {}).setdefault("Properties", {})
        props["Targets"] = [
            {k: t[k] for k in ("Id", "Arn", "RoleArn") if k in t}
            for t in sorted(targets, key=lambda t: t.get("Id", ""))
        ]
    return template
