"""CloudFormation values for a node's name, ARN, URL ... by kind (SAM's Ref/GetAtt table).

Buckets are referred to by a constructed name, never by `Ref`/`GetAtt`: S3 validates a
notification's destination while it creates the bucket, so the bucket must depend on the
permission or policy, which therefore cannot reference the bucket (wiring.md G-S3-1).
"""

from __future__ import annotations


def ref(lid: str) -> dict:
    return {"Ref": lid}


def getatt(lid: str, attr: str) -> dict:
    return {"Fn::GetAtt": [lid, attr]}


def sub(text: str) -> dict:
    return {"Fn::Sub": text}


def bucket_name(slug: str) -> dict:
    return sub(f"${{Prefix}}-${{AWS::AccountId}}-${{AWS::Region}}-{slug}")


def bucket_arn(slug: str, suffix: str = "") -> dict:
    return sub(
        f"arn:${{AWS::Partition}}:s3:::${{Prefix}}-${{AWS::AccountId}}-${{AWS::Region}}-{slug}"
        + suffix
    )


# kind -> attribute -> function(logical id, bucket slug) -> CloudFormation value
ATTRS: dict[str, dict] = {
    "s3": {
        "arn": lambda lid, slug: bucket_arn(slug),
        "objects": lambda lid, slug: bucket_arn(slug, "/*"),
        "name": lambda lid, slug: bucket_name(slug),
    },
    "dynamodb": {
        "arn": lambda lid, slug: getatt(lid, "Arn"),
        "name": lambda lid, slug: ref(lid),
        "stream": lambda lid, slug: getatt(lid, "StreamArn"),
    },
    "sqs": {
        "arn": lambda lid, slug: getatt(lid, "Arn"),
        "url": lambda lid, slug: ref(lid),
    },
    "sns": {"arn": lambda lid, slug: ref(lid)},
    "kinesis": {
        "arn": lambda lid, slug: getatt(lid, "Arn"),
        "name": lambda lid, slug: ref(lid),
    },
    "sfn": {"arn": lambda lid, slug: ref(lid)},
    "lambda": {
        "arn": lambda lid, slug: getatt(lid, "Arn"),
        "name": lambda lid, slug: ref(lid),
        "versions": lambda lid, slug: sub(f"${{{lid}.Arn}}:*"),
    },
    "schedule": {"arn": lambda lid, slug: getatt(lid, "Arn")},
    "event-bus": {
        "arn": lambda lid, slug: getatt(lid, "Arn"),
        "name": lambda lid, slug: ref(lid),
    },
    "http-api": {"id": lambda lid, slug: ref(lid)},
}

# kind -> (noun, attribute) naming the env var that hands a target to a function's code
ENV: dict[str, tuple[str, str]] = {
    "s3": ("BUCKET", "name"),
    "dynamodb": ("TABLE", "name"),
    "sqs": ("QUEUE", "url"),
    "sns": ("TOPIC", "arn"),
    "sfn": ("STATE_MACHINE", "arn"),
    "lambda": ("FUNCTION", "name"),
    "kinesis": ("STREAM", "name"),
    "event-bus": ("EVENT_BUS", "name"),
}
_ENV_SUFFIX = {"name": "NAME", "url": "URL", "arn": "ARN"}


def env_name(stem: str, kind: str) -> str:
    noun, attr = ENV[kind]
    base = stem if stem.endswith(noun) else f"{stem}_{noun}"
    return f"{base}_{_ENV_SUFFIX[attr]}"
