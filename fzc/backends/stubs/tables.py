"""What each trigger kind and each SDK call becomes in a stub: data, not code.

A trigger kind names the event *shape* its parser recognises, the parser (a macro in
`templates/triggers.j2`) and the function of handler.py it hands each item to. A call names its
helper (a macro in `templates/calls.j2`), the helper's name pattern and the wiring features it
needs. Features pull in imports and small shared helpers (see FEATURES and NEEDS).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shape:
    """What a trigger kind becomes in a stub: the event shape, its parser and its hook."""

    shape: str  # what `event_shape()` in _wiring.py returns for such an event
    parser: str  # macro names in triggers.j2: parse_<parser>, hook_<parser>, ...
    hook: str  # the function of handler.py that gets each item
    words: str  # how the function is invoked, {src} = the source, {edge} = its label
    args: str  # the hook's parameters (named in the error when handler.py lacks it)
    needs: tuple[str, ...] = ()


SHAPES: dict[str, Shape] = {
    "s3": Shape(
        "aws:s3",
        "s3",
        "on_s3_object",
        "S3 calls it when an object is created in {src}",
        "bucket, key, record",
        ("url",),
    ),
    "dynamodb-stream": Shape(
        "aws:dynamodb",
        "stream",
        "on_stream_record",
        "the stream of {src} calls it with batches of item changes",
        "event_name, keys, new, old, record",
        ("image",),
    ),
    "kinesis": Shape(
        "aws:kinesis",
        "kinesis",
        "on_kinesis_record",
        "{src} calls it with batches of records",
        "data, partition_key, record",
        ("base64",),
    ),
    "sqs": Shape(
        "aws:sqs",
        "sqs",
        "on_sqs_message",
        "it consumes {src} in batches (failed messages are reported and retried)",
        "body, record",
        ("loads", "logging"),
    ),
    "sns": Shape(
        "aws:sns",
        "sns",
        "on_sns_message",
        "{src} calls it with each message",
        "subject, message, record",
        ("loads",),
    ),
    "http-api": Shape(
        "http",
        "http",
        "on_http_request",
        "{src} proxies {route} to it",
        "method, path, body, event",
        ("base64", "json", "response"),
    ),
    "schedule": Shape(
        "schedule", "schedule", "on_schedule", "{src} calls it on a schedule", "time, event"
    ),
    "event-bus": Shape(
        "event",
        "event",
        "on_event",
        "{src} delivers matching events to it",
        "detail_type, detail, event",
    ),
    "sfn-task": Shape("input", "input", "on_input", "it runs as a step of {src}", "payload"),
    "invoke": Shape("input", "input", "on_input", "{src} invokes it directly", "payload"),
}
DIRECT = "invoke"  # the shape of a function nothing in the diagram triggers


@dataclass(frozen=True, slots=True)
class CallSpec:
    """What an SDK call becomes in a stub: its helper, and the features that helper needs."""

    name: str  # helper name pattern, {} = the target's stem
    macro: str  # macro names in calls.j2: helper_<macro>, use_<macro>, check_<macro>, ...
    words: str  # what the call does
    needs: tuple[str, ...] = ()
    lands: bool = False  # its effect can be seen in moto (the handler tests check it)
    handler_needs: tuple[str, ...] = ()  # imports the sample call in handler.py needs


CALLS: dict[tuple[str, str], CallSpec] = {
    ("sqs", "send_message"): CallSpec(
        "send_to_{}", "send", "sends a message", ("text",), lands=True
    ),
    ("sns", "publish"): CallSpec("publish_to_{}", "publish", "publishes a message", ("text",)),
    ("dynamodb", "put_item"): CallSpec(
        "put_item_to_{}", "put_item", "writes an item", ("item",), True, ("uuid",)
    ),
    ("dynamodb", "get_item"): CallSpec("get_item_from_{}", "get_item", "reads an item", ("image",)),
    ("s3", "put_object"): CallSpec(
        "put_object_to_{}", "put_object", "writes an object", ("text",), True, ("uuid",)
    ),
    ("s3", "get_object"): CallSpec("get_object_from_{}", "get_object", "reads an object"),
    ("stepfunctions", "start_execution"): CallSpec(
        "start_{}", "start", "starts an execution", ("dumps", "uuid"), lands=True
    ),
    ("lambda", "invoke"): CallSpec("invoke_{}", "invoke", "invokes it", ("dumps",)),
    ("kinesis", "put_record"): CallSpec(
        "put_record_to_{}", "put_record", "puts a record", ("text",)
    ),
    ("events", "put_events"): CallSpec("put_event_on_{}", "put_event", "puts an event", ("dumps",)),
}
GENERIC = CallSpec("call_{}", "generic", "calls it")  # an operation this table lacks

# feature -> the features it uses (shared helpers in _wiring.py and the imports they need)
NEEDS: dict[str, tuple[str, ...]] = {
    "text": ("dumps",),
    "dumps": ("json", "decimal", "base64"),
    "loads": ("json",),
    "plain": ("dumps", "json"),
    "image": ("plain", "deserializer"),
    "item": ("dumps", "json", "decimal", "serializer"),
    "response": ("dumps", "json"),
    "calls": ("boto3",),
}

# feature -> import line; the order is the order of the import block (isort's)
FEATURES: dict[str, str] = {
    "base64": "import base64",
    "json": "import json",
    "logging": "import logging",
    "os": "import os",
    "url": "import urllib.parse",
    "uuid": "import uuid",
    "decimal": "from decimal import Decimal",
    "boto3": "import boto3",
}
THIRD_PARTY = ("boto3",)
DYNAMODB_TYPES = {"deserializer": "TypeDeserializer", "serializer": "TypeSerializer"}

# what a target kind is called in plain words
NOUNS: dict[str, str] = {
    "s3": "bucket",
    "dynamodb": "table",
    "sqs": "queue",
    "sns": "topic",
    "kinesis": "stream",
    "http-api": "HTTP API",
    "schedule": "schedule",
    "event-bus": "event bus",
    "lambda": "function",
    "sfn": "state machine",
    "choice": "Choice",
}

# env var suffixes that say what the value is (fzc.wire.refs): stripped to name a helper
ENV_SUFFIXES = ("_URL", "_ARN", "_NAME")
STEM_LIMIT = 28  # characters of a helper's target stem: keeps every generated line short

# parser or call macro -> what its test in test_wiring.py imports (pytest always)
TEST_NEEDS: dict[str, tuple[str, ...]] = {
    "http": ("json",),
    "send": ("json", "os", "boto3"),
    "put_item": ("os", "boto3"),
    "get_item": ("os", "boto3"),
    "put_object": ("json", "os", "boto3"),
    "get_object": ("os", "boto3"),
    "start": ("json", "boto3"),
}
