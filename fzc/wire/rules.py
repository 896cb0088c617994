"""Edge rules as data: (source kind, target kind[, variant]) -> the effects that realise it.

Variants refine a pair by the edge label or the target's role: `read` when the label asks for
reading (the function reads the source instead of being triggered by it), `dlq` when the
target queue is a dead-letter queue. Lookup tries the variant first, then the plain pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fzc.wire.effects import (
    Call,
    DeadLetter,
    Env,
    EventSourceMapping,
    Grant,
    Notification,
    Permission,
    Redrive,
    Route,
    RuleTarget,
    ServicePolicy,
    StreamOn,
    Subscription,
    Trigger,
    VisibilityFloor,
)

READ_WORDS = re.compile(
    r"\b(read|reads|get|gets|fetch|fetches|query|queries|lookup|look up|scan|list|download)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Rule:
    """How an edge between two kinds is realised: its effects, and a summary for `fzc explain`."""

    name: str
    effects: tuple
    summary: str
    docs: str = ""


STREAM_READ = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
KINESIS_READ = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:SubscribeToShard",
)
SQS_CONSUME = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)
TABLE_WRITE = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
TABLE_READ = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem")
STREAM_SETTINGS = (
    ("StartingPosition", "LATEST"),
    ("BatchSize", 100),
    ("MaximumRetryAttempts", 3),
    ("BisectBatchOnFunctionError", True),
    ("MaximumRecordAgeInSeconds", 3600),
)
SQS_SETTINGS = (("BatchSize", 10), ("FunctionResponseTypes", ["ReportBatchItemFailures"]))
_DOC = "https://docs.aws.amazon.com/"

RULES: dict[tuple[str, ...], Rule] = {
    ("s3", "lambda"): Rule(
        "s3-notification-lambda",
        (Permission("s3.amazonaws.com", source_account=True), Notification(), Trigger("s3")),
        "S3 invokes the function on object creation",
        _DOC + "AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html",
    ),
    ("s3", "sqs"): Rule(
        "s3-notification-sqs",
        (ServicePolicy("s3.amazonaws.com"), Notification()),
        "S3 sends object-created events to the queue",
    ),
    ("s3", "sns"): Rule(
        "s3-notification-sns",
        (ServicePolicy("s3.amazonaws.com"), Notification()),
        "S3 publishes object-created events to the topic",
    ),
    ("dynamodb", "lambda"): Rule(
        "dynamodb-stream-lambda",
        (
            StreamOn(),
            Grant("dst", STREAM_READ, ("stream",)),
            EventSourceMapping("stream", STREAM_SETTINGS),
            Trigger("dynamodb-stream"),
        ),
        "the table's stream invokes the function (bounded retries, bisect on error)",
        _DOC + "lambda/latest/dg/with-ddb.html",
    ),
    ("kinesis", "lambda"): Rule(
        "kinesis-lambda",
        (
            Grant("dst", KINESIS_READ),
            EventSourceMapping("arn", STREAM_SETTINGS),
            Trigger("kinesis"),
        ),
        "the stream invokes the function",
        _DOC + "lambda/latest/dg/with-kinesis.html",
    ),
    ("sqs", "lambda"): Rule(
        "sqs-lambda",
        (
            Grant("dst", SQS_CONSUME),
            EventSourceMapping("arn", SQS_SETTINGS),
            VisibilityFloor(),
            Trigger("sqs"),
        ),
        "the function consumes the queue (partial batch failures reported)",
        _DOC + "lambda/latest/dg/with-sqs.html",
    ),
    ("sqs", "sqs", "dlq"): Rule(
        "sqs-redrive", (Redrive(),), "messages that keep failing move to the dead-letter queue"
    ),
    ("sns", "lambda"): Rule(
        "sns-subscription-lambda",
        (Permission("sns.amazonaws.com"), Subscription("lambda"), Trigger("sns")),
        "the topic invokes the function",
    ),
    ("sns", "sqs"): Rule(
        "sns-subscription-sqs",
        (ServicePolicy("sns.amazonaws.com"), Subscription("sqs")),
        "the topic delivers to the queue",
    ),
    ("http-api", "lambda"): Rule(
        "http-api-route-lambda",
        (Route(),),
        "an HTTP API route proxies to the function",
        _DOC + "apigateway/latest/developerguide/http-api-develop-integrations-lambda.html",
    ),
    ("schedule", "lambda"): Rule(
        "schedule-lambda",
        (Permission("events.amazonaws.com"), RuleTarget(), Trigger("schedule")),
        "the schedule invokes the function",
    ),
    ("schedule", "sfn"): Rule(
        "schedule-state-machine", (RuleTarget(),), "the schedule starts the state machine"
    ),
    ("lambda", "sfn"): Rule(
        "lambda-start-execution",
        (Grant("src", ("states:StartExecution",)), Env(), Call("stepfunctions", "start_execution")),
        "the function starts executions of the state machine",
    ),
    ("lambda", "lambda"): Rule(
        "lambda-invoke",
        (
            Grant("src", ("lambda:InvokeFunction",)),
            Env(),
            Call("lambda", "invoke"),
            Trigger("invoke"),
        ),
        "the function invokes the other function",
    ),
    ("lambda", "sqs"): Rule(
        "lambda-send-message",
        (Grant("src", ("sqs:SendMessage",)), Env(), Call("sqs", "send_message")),
        "the function sends messages to the queue",
    ),
    ("lambda", "sqs", "dlq"): Rule(
        "lambda-dead-letter",
        (Grant("src", ("sqs:SendMessage",)), DeadLetter(), Env(), Call("sqs", "send_message")),
        "failed asynchronous invocations of the function go to the dead-letter queue",
    ),
    ("lambda", "sns"): Rule(
        "lambda-publish",
        (Grant("src", ("sns:Publish",)), Env(), Call("sns", "publish")),
        "the function publishes to the topic",
    ),
    ("lambda", "dynamodb"): Rule(
        "lambda-write-table",
        (Grant("src", TABLE_WRITE), Env(), Call("dynamodb", "put_item")),
        "the function writes items to the table",
    ),
    ("lambda", "dynamodb", "read"): Rule(
        "lambda-read-table",
        (Grant("src", TABLE_READ), Env(), Call("dynamodb", "get_item")),
        "the function reads items from the table",
    ),
    ("lambda", "s3"): Rule(
        "lambda-write-bucket",
        (Grant("src", ("s3:PutObject",), ("objects",)), Env(), Call("s3", "put_object")),
        "the function writes objects to the bucket",
    ),
    ("lambda", "s3", "read"): Rule(
        "lambda-read-bucket",
        (
            Grant("src", ("s3:GetObject",), ("objects",)),
            Grant("src", ("s3:ListBucket",)),
            Env(),
            Call("s3", "get_object"),
        ),
        "the function reads objects from the bucket",
    ),
    ("lambda", "kinesis"): Rule(
        "lambda-put-record",
        (
            Grant("src", ("kinesis:PutRecord", "kinesis:PutRecords")),
            Env(),
            Call("kinesis", "put_record"),
        ),
        "the function writes records to the stream",
    ),
    ("lambda", "event-bus"): Rule(
        "lambda-put-events",
        (Grant("src", ("events:PutEvents",)), Env(), Call("events", "put_events")),
        "the function puts events on the bus",
    ),
}

# A source reading from a function's point of view: `S3 -> Lambda [Read config]`.
READ_REVERSED = {
    ("s3", "lambda"): ("lambda", "s3", "read"),
    ("dynamodb", "lambda"): ("lambda", "dynamodb", "read"),
}


def variant(label: str, dst_dlq: bool) -> str | None:
    if dst_dlq:
        return "dlq"
    return "read" if READ_WORDS.search(label or "") else None


def lookup(src: str, dst: str, label: str, dst_dlq: bool) -> tuple[Rule | None, bool]:
    """The rule for an edge, and whether it applies reversed (the target reads the source)."""
    v = variant(label, dst_dlq)
    if v == "read" and (src, dst) in READ_REVERSED:
        return RULES[READ_REVERSED[(src, dst)]], True
    return RULES.get((src, dst, v)) or RULES.get((src, dst)), False


def targets_of(src: str) -> list[str]:
    return sorted({key[1] for key in RULES if key[0] == src})
