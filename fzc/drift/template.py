"""Read a CloudFormation template (JSON, or YAML with `!Ref`-style short forms) into plain data
in CloudFormation's long form; expand SAM templates with aws-sam-translator, offline.

Pure: text in, dict out. Problems raise `TemplateError` with the offset they were found at.
"""

from __future__ import annotations

import copy
import json

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

# Short-form tag -> long-form key (https://docs.aws.amazon.com/AWSCloudFormation/latest/
# UserGuide/intrinsic-function-reference.html).
SHORT_FORMS: dict[str, str] = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "Join",
            "Select",
            "Split",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "FindInMap",
            "Base64",
            "Cidr",
            "ImportValue",
            "GetAZs",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}

# SAM insists on S3 locations; a local folder is what `sam build` / `package` would upload.
_SAM_URIS = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
}
_FAKE_PARAMETER = {"Number": "1", "CommaDelimitedList": "a,b", "List<Number>": "1,2"}


class TemplateError(Exception):
    """The template cannot be read; `offset` locates the problem in its text when known."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _loader():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct(long: str):
        def build(loader, node):
            if isinstance(node, yaml.ScalarNode):
                value = loader.construct_scalar(node)
                if long == "Fn::GetAtt":
                    value = value.split(".", 1)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_mapping(node, deep=True)
            return {long: value}

        return build

    for short, long in SHORT_FORMS.items():
        Loader.add_constructor(short, construct(long))
    # CloudFormation reads timestamps and the like as strings.
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _offset(text: str, line: int, col: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(x) for x in lines[:line]) + col


def parse(text: str) -> dict:
    """Template text -> dict (long-form intrinsics). JSON first, then YAML."""
    stripped = text.lstrip("\ufeff")
    if stripped.lstrip().startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise TemplateError(f"not valid JSON: {exc.msg}", exc.pos) from None
    else:
        try:
            import yaml
        except ImportError:
            raise TemplateError("install PyYAML to read YAML templates (or give JSON)") from None
        try:
            data = yaml.load(stripped, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = _offset(stripped, mark.line, mark.column) if mark else 0
            raise TemplateError(f"not valid YAML: {exc.problem or exc}", where) from None
        except yaml.YAMLError as exc:
            raise TemplateError(f"not valid YAML: {exc}") from None
    return _validate(data)


def _validate(data) -> dict:
    if not isinstance(data, dict):
        raise TemplateError("a template is a mapping with a `Resources` section")
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("the template has no `Resources` section")
    for lid, body in resources.items():
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            raise TemplateError(f"resource {lid} has no `Type`")
        if not isinstance(body.get("Properties", {}), dict):
            raise TemplateError(f"resource {lid}: `Properties` is not a mapping")
    return data


def is_sam(template: dict) -> bool:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def _fake_parameters(template: dict) -> dict:
    out = {}
    for name, spec in (template.get("Parameters") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        out[name] = spec.get("Default", _FAKE_PARAMETER.get(spec.get("Type", ""), "fzc"))
    return out


def _local_uris(template: dict) -> None:
    sections = [
        (body.get("Type"), body.get("Properties")) for body in template["Resources"].values()
    ]
    globals_ = template.get("Globals") if isinstance(template.get("Globals"), dict) else {}
    sections += [("AWS::Serverless::" + k, v) for k, v in globals_.items()]
    for type_, props in sections:
        if not isinstance(props, dict):
            continue
        for key in _SAM_URIS.get(type_, ()):
            value = props.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                props[key] = "s3://fzc-drift-check/" + (value.strip("./") or "code")


def expand_sam(template: dict, region: str = "us-east-1") -> dict:
    """Run the SAM transform offline: no managed-policy lookup, fake parameter values."""
    try:
        import boto3
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.arn_generator import ArnGenerator
        from samtranslator.translator.translator import Translator
    except ImportError:
        raise TemplateError(
            "this is a SAM template (Transform: AWS::Serverless-2016-10-31); "
            "install aws-sam-translator to check it"
        ) from None
    fragment = copy.deepcopy(template)
    _local_uris(fragment)
    if ArnGenerator.BOTO_SESSION_REGION_NAME is None:
        ArnGenerator.BOTO_SESSION_REGION_NAME = region  # else boto's region lookup, not offline
    # `samtranslator.translator.transform.transform` minus its implicit boto session: that one
    # needs a configured region; this one is given it.
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        out = translator.translate(
            fragment,
            parameter_values=_fake_parameters(fragment),
            get_managed_policy_map=dict,
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(sorted(str(getattr(c, "message", c)) for c in exc.causes))
        raise TemplateError(f"the SAM transform failed: {causes or exc}") from None
    except Exception as exc:  # noqa: BLE001 - the translator raises many kinds; report, not trace
        raise TemplateError(f"the SAM transform failed: {type(exc).__name__}: {exc}") from None
    return _validate(json.loads(json.dumps(out, default=str)))


def load(text: str) -> dict:
    """Template text -> CloudFormation template as data (SAM expanded)."""
    template = parse(text)
    return expand_sam(template) if is_sam(template) else template


def locate(text: str, logical_id: str) -> tuple[int, int] | None:
    """Where a resource's key is written in the template text: (start, end) offsets."""
    import re

    pattern = rf"^[ \t]*[\"']?{re.escape(logical_id)}[\"']?[ \t]*:"
    m = re.search(pattern, text, re.MULTILINE)
    if not m:
        return None
    start = m.start() + len(m.group(0)) - len(m.group(0).lstrip(" \t\"'"))
    return start, start + len(logical_id)
