"""Workflow task states: what a step hands to a service becomes an optimised integration.

https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html
S3 and Kinesis have no optimised integration, so they go through the AWS SDK integration.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Task:
    """The task state a workflow step uses to hand data to a service, and what its role needs."""

    resource: str  # the ASL Resource
    actions: tuple[str, ...]  # what the state machine's role needs
    attr: str  # which of the target's values the actions apply to


TASKS: dict[str, Task] = {
    "dynamodb": Task("arn:aws:states:::dynamodb:putItem", ("dynamodb:PutItem",), "arn"),
    "sqs": Task("arn:aws:states:::sqs:sendMessage", ("sqs:SendMessage",), "arn"),
    "sns": Task("arn:aws:states:::sns:publish", ("sns:Publish",), "arn"),
    "event-bus": Task("arn:aws:states:::events:putEvents", ("events:PutEvents",), "arn"),
    "sfn": Task("arn:aws:states:::states:startExecution", ("states:StartExecution",), "arn"),
    "s3": Task("arn:aws:states:::aws-sdk:s3:putObject", ("s3:PutObject",), "objects"),
    "kinesis": Task("arn:aws:states:::aws-sdk:kinesis:putRecord", ("kinesis:PutRecord",), "arn"),
}
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
