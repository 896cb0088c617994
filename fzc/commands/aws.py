"""Reading a deployed stack through boto3 for `fzc check --stack` (the only code that calls
AWS). Returns a `fzc.drift.stack.Snapshot`; failures raise `StackError` with a plain message.
"""

from __future__ import annotations

from fzc.drift.stack import Mapping, Snapshot


class StackError(Exception):
    pass


def _clients(region: str | None, profile: str | None):
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=profile, region_name=region)
    if not session.region_name:
        raise StackError("no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION")
    config = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2})
    return {
        name: session.client(name, config=config)
        for name in ("cloudformation", "s3", "lambda", "events")
    }


def _template(cfn, name: str) -> dict:
    from fzc.drift import template as tpl

    try:
        body = cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    except cfn.exceptions.ClientError as exc:
        if "TemplateStage" not in str(exc):
            raise
        body = cfn.get_template(StackName=name)["TemplateBody"]
    if isinstance(body, dict):
        data = tpl.expand_sam(body) if tpl.is_sam(body) else body
    else:
        data = tpl.load(body)
    return data


def _physical(cfn, name: str) -> dict[str, str]:
    out = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
        for r in page["StackResourceSummaries"]:
            if r.get("LogicalResourceId") and r.get("PhysicalResourceId"):
                out[r["LogicalResourceId"]] = r["PhysicalResourceId"]
    return out


def _of_type(template: dict, physical: dict, type_: str) -> list[tuple[str, str]]:
    return sorted(
        (lid, physical[lid])
        for lid, body in (template.get("Resources") or {}).items()
        if body.get("Type") == type_ and lid in physical
    )


def _rule_name(physical: str) -> tuple[str | None, str]:
    if physical.startswith("arn:"):
        physical = physical.split(":", 5)[-1].removeprefix("rule/")
    bus, _, name = physical.rpartition("|") if "|" in physical else ("", "", physical)
    if "/" in name:
        bus, name = name.rsplit("/", 1)
    return bus or None, name


def read(name: str, region: str | None, profile: str | None) -> Snapshot:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise StackError("install boto3 to read deployed stacks") from None

    from fzc.drift.template import TemplateError

    try:
        c = _clients(region, profile)
        template = _template(c["cloudformation"], name)
        physical = _physical(c["cloudformation"], name)
        snap = Snapshot(name, template, physical)
        for lid, bucket in _of_type(template, physical, "AWS::S3::Bucket"):
            api = c["s3"].get_bucket_notification_configuration(Bucket=bucket)
            snap.notifications[lid] = {k: v for k, v in api.items() if k != "ResponseMetadata"}
        for _, fn in _of_type(template, physical, "AWS::Lambda::Function"):
            pages = c["lambda"].get_paginator("list_event_source_mappings")
            for page in pages.paginate(FunctionName=fn):
                for m in page["EventSourceMappings"]:
                    source = m.get("EventSourceArn", "")
                    snap.mappings.append(Mapping(m["UUID"], source, m["FunctionArn"]))
        for lid, rule in _of_type(template, physical, "AWS::Events::Rule"):
            bus, rule_name = _rule_name(rule)
            kwargs = {"Rule": rule_name} | ({"EventBusName": bus} if bus else {})
            snap.targets[lid] = c["events"].list_targets_by_rule(**kwargs)["Targets"]
    except TemplateError as exc:
        raise StackError(f"the stack's template cannot be read: {exc.message}") from None
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise StackError(f"{err.get('Code', 'error')}: {err.get('Message', exc)}") from None
    except BotoCoreError as exc:
        raise StackError(str(exc)) from None
    return snap
