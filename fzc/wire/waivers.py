"""Security-scanner findings we accept on purpose, each with its reason.

checkov (the usual CloudFormation scanner) reads these from `Metadata.checkov.skip`; the
README's security section lists the same table. Everything else checkov checks passes.
"""

from __future__ import annotations

WAIVERS: dict[str, tuple[tuple[str, str], ...]] = {
    "AWS::Lambda::Function": (
        (
            "CKV_AWS_115",
            "Reserved concurrency is taken from the account's pool; set it per "
            "function once its load is known.",
        ),
        (
            "CKV_AWS_116",
            "Failures are handled where the diagram shows them: queue redrive, "
            "stream OnFailure, state machine Catch; draw an edge to a DLQ node to add one.",
        ),
        (
            "CKV_AWS_117",
            "The diagram has no VPC resources; the function uses only regional AWS endpoints.",
        ),
        (
            "CKV_AWS_173",
            "Environment variables hold resource names and ARNs only, no "
            "secrets; Lambda encrypts them at rest with an AWS-managed key.",
        ),
    ),
    "AWS::Logs::LogGroup": (
        (
            "CKV_AWS_158",
            "CloudWatch Logs encrypts log data at rest by default; a customer "
            "key adds cost and a key policy to maintain.",
        ),
    ),
    "AWS::SQS::Queue": (
        (
            "CKV_AWS_27",
            "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled); the AWS-managed "
            "KMS key checkov looks for would stop S3 and SNS from delivering to the queue.",
        ),
    ),
    "AWS::S3::Bucket": (
        (
            "CKV_AWS_18",
            "Server access logging needs a second bucket; enable it when the "
            "bucket holds data that must be audited.",
        ),
    ),
    "AWS::DynamoDB::Table": (
        (
            "CKV_AWS_119",
            "Encrypted at rest with the AWS-owned key (SSESpecification); a "
            "customer key adds cost and a key policy to maintain.",
        ),
    ),
}


# One skip block per type, shared by every resource of that type: nothing mutates a plan's
# nested values, and a copy per resource cost ~1.5 KB per node (15 MB at 10k nodes).
_SKIPS = {t: {"skip": [{"id": i, "comment": c} for i, c in s]} for t, s in WAIVERS.items()}


def metadata(type_: str, existing: dict | None) -> dict | None:
    skips = _SKIPS.get(type_)
    if not skips:
        return existing
    out = dict(existing or {})
    out["checkov"] = skips
    return out
