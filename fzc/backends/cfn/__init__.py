"""CloudFormation backend: `Plan` -> `template.yaml` (or `template.json`).

The document is built as data (`document`), then laid out by a Jinja template that adds the
comments a reviewer needs (which node or edge each resource realises, and its `.fz` line).
Every value from the diagram goes through `yamlout.string` (YAML) or `json.dumps` (JSON).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from fzc import __version__
from fzc.backends import Artifact, Options
from fzc.backends.cfn import document as doc
from fzc.backends.cfn import yamlout
from fzc.wire.plan import Plan


@cache
def _env():
    from fzc.backends.templating import environment

    filters = {
        "yaml": lambda v, indent=0: yamlout.dump(v, indent),
        "yaml_string": yamlout.string,
        "comment": yamlout.comment,
    }
    return environment(Path(__file__).parent / "templates", filters)


def render_yaml(plan: Plan, options: Options) -> str:
    d = doc.document(plan, options)
    groups = [
        {
            "title": title,
            "resources": [
                {"comment": comment, "body": {lid: d["Resources"][lid]}} for lid, comment in items
            ],
        }
        for title, items in doc.groups(plan)
    ]
    return (
        _env()
        .get_template("template.yaml.j2")
        .render(
            version=__version__,
            path=plan.diagram.path,
            description=d["Description"],
            parameters=d.get("Parameters"),
            groups=groups,
            outputs=d.get("Outputs"),
        )
    )


def render_json(plan: Plan, options: Options) -> str:
    return json.dumps(doc.document(plan, options), indent=2, ensure_ascii=False) + "\n"


def emit(plan: Plan, options: Options) -> list[Artifact]:
    if options.format == "json":
        return [Artifact("template.json", render_json(plan, options))]
    return [Artifact("template.yaml", render_yaml(plan, options))]
