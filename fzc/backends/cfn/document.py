"""The CloudFormation document as data: resources from the plan, with the function code and
state machine definitions the other backends provide."""

from __future__ import annotations

from fzc.backends import Options
from fzc.source import Source
from fzc.wire.builder import literal
from fzc.wire.plan import Plan, Resource

# `aws cloudformation package` turns a folder path in `Code` into an S3 location; cfn-lint
# warns about exactly that form (W3002), which is the point of the unpackaged template.
PACKAGE_NOTE = {"cfn-lint": {"config": {"ignore_checks": ["W3002"]}}}
_ORDER = ("Type", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata", "Properties")


def _code(plan: Plan, fn, options: Options) -> tuple[dict | str, str]:
    """Inline source (`--inline`) when it fits CloudFormation's ZipFile limit, else the
    function's folder for `aws cloudformation package`."""
    if options.inline:
        from fzc.backends.stubs import ZIPFILE_LIMIT, inline_source

        source = inline_source(plan, fn)
        if len(source) <= ZIPFILE_LIMIT:
            return {"ZipFile": literal(source)}, "index.handler"
    return f"functions/{fn.folder}", "handler.handler"


def _definition(plan: Plan, wf) -> tuple[dict, dict]:
    from fzc.backends.asl import definition

    return definition(plan, wf)


def _properties(plan: Plan, r: Resource, options: Options, extras: dict) -> dict:
    props = dict(r.properties)
    if r.type == "AWS::Lambda::Function":
        fn = extras["functions"][r.logical_id]
        props["Code"], props["Handler"] = _code(plan, fn, options)
    elif r.type == "AWS::StepFunctions::StateMachine":
        definition, subs = _definition(plan, extras["workflows"][r.logical_id])
        props["Definition"] = definition
        if subs:
            props["DefinitionSubstitutions"] = subs
    return props


def _resource(plan: Plan, r: Resource, options: Options, extras: dict) -> dict:
    body: dict = {"Type": r.type}
    if r.depends_on:
        body["DependsOn"] = list(r.depends_on) if len(r.depends_on) > 1 else r.depends_on[0]
    if r.deletion_policy:
        body["DeletionPolicy"] = r.deletion_policy
        body["UpdateReplacePolicy"] = r.deletion_policy
    metadata = dict(r.metadata or {})
    metadata["fzc"] = {"origin": r.origin, "line": extras["lines"][r.logical_id]}
    body["Metadata"] = metadata
    body["Properties"] = props = _properties(plan, r, options, extras)
    if isinstance(props.get("Code"), str):
        metadata.update(PACKAGE_NOTE)
    return body


def _extras(plan: Plan, source: Source | None) -> dict:
    return {
        "functions": {f.logical_id: f for f in plan.functions},
        "workflows": {w.logical_id: w for w in plan.workflows},
        "lines": {
            r.logical_id: (source.line_col(r.span.start)[0] if source else 0)
            for r in plan.resources
        },
    }


def document(plan: Plan, options: Options, source: Source | None = None) -> dict:
    source = source or plan.source
    extras = _extras(plan, source)
    resources = {
        lid: _resource(plan, plan.resource(lid), options, extras)
        for _, items in groups(plan)
        for lid, _ in items
    }
    d = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description(plan),
        "Parameters": _used_parameters(plan, resources),
        "Resources": resources,
    }
    if not d["Parameters"]:
        del d["Parameters"]
    if plan.outputs:
        d["Outputs"] = {
            lid: {"Description": text, "Value": value} for lid, text, value in plan.outputs
        }
    return d


def _used_parameters(plan: Plan, resources: dict) -> dict:
    """Only the parameters something refers to (cfn-lint W2001 flags the others)."""
    import json

    text = json.dumps(resources)
    return {
        name: spec
        for name, spec in plan.parameters
        if f"${{{name}}}" in text or f'{{"Ref": "{name}"}}' in text
    }


def description(plan: Plan) -> str:
    text = (
        f"{plan.name}: AWS architecture compiled by fzc from the FlowZap diagram "
        f"{plan.diagram.path}"
    )
    text = text.replace("${", "$ {")
    return text if len(text) <= 1024 else text[:1021] + "..."


def _comment(plan: Plan, r: Resource, source: Source | None) -> str:
    line = source.line_col(r.span.start)[0] if source else 0
    d = plan.diagram
    if " -> " in r.origin:
        a, b = r.origin.split(" -> ")
        what = f"edge {a} -> {b}"
    elif r.origin in d.by_id:
        what = f"node {r.origin} {d.by_id[r.origin].label!r}"
    else:
        what = r.origin
    return f"{what} ({d.path}:{line})" if line else what


def groups(plan: Plan) -> list[tuple[str, list[tuple[str, str]]]]:
    """Resources grouped by lane, in lane order, each with its comment."""
    d, source = plan.diagram, plan.source
    order = {lane.id: i for i, lane in enumerate(d.lanes)}
    titled: dict[str | None, list[tuple[str, str]]] = {}
    for r in plan.resources:
        lane = r.lane if r.lane in order else None
        titled.setdefault(lane, []).append((r.logical_id, _comment(plan, r, source)))
    out = []
    for lane in sorted(titled, key=lambda k: order.get(k, len(order))):
        if lane is None:
            title = "Shared"
        else:
            display = d.lane_by_id[lane].display
            title = f"Lane {lane}" + (f": {display}" if display else "")
        out.append((title, titled[lane]))
    return out
