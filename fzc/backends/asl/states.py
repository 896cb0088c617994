"""The body of each diagram step's state (everything but its transitions).

Compute steps call `lambda:invoke`; edge tasks use Step Functions' optimised integrations
(https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html), S3 and
Kinesis the AWS SDK integration. ARNs, names and URLs are `${placeholders}` filled by
`DefinitionSubstitutions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from fzc.backends.asl.flow import ROOT, Arc, Flow
from fzc.backends.asl.names import Names
from fzc.wire import ids
from fzc.wire.decisions import says_error
from fzc.wire.plan import Step
from fzc.wire.tasks import LAMBDA_INVOKE, TASKS

LOOP_REPEATS = 3  # how often a loop (or a step inside a `loop [...]` fragment) may run again

# G-ASL-3: retry Lambda's own transient failures, not the function's errors.
# https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
LAMBDA_RETRY = {
    "ErrorEquals": [
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ],
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
}
FRAGMENT_RETRY = {
    "ErrorEquals": ["States.TaskFailed"],
    "IntervalSeconds": 1,
    "MaxAttempts": LOOP_REPEATS,
    "BackoffRate": 2,
}

# substitution key prefix per service; an underscore never occurs in a CloudFormation
# logical id, so no key can shadow one (cfn-lint E1029, aws-cloudformation/cfn-lint#3786)
SUB_PREFIX = {
    "lambda": "fn",
    "dynamodb": "table",
    "sqs": "queue",
    "sns": "topic",
    "event-bus": "bus",
    "sfn": "machine",
    "s3": "bucket",
    "kinesis": "stream",
}
CFN_TYPE = {
    "lambda": "AWS::Lambda::Function",
    "dynamodb": "AWS::DynamoDB::Table",
    "sqs": "AWS::SQS::Queue",
    "sns": "AWS::SNS::Topic",
    "event-bus": "AWS::Events::EventBus",
    "sfn": "AWS::StepFunctions::StateMachine",
    "s3": "AWS::S3::Bucket",
    "kinesis": "AWS::Kinesis::Stream",
}
_SUB_REF = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z.]+)?\}")


@dataclass
class Ctx:
    """What state builders share while one definition is compiled."""

    flow: Flow
    line_of: Callable[[int], int | None]  # character offset -> .fz line
    names: Names = field(default_factory=Names)
    subs: dict[str, object] = field(default_factory=dict)
    # an arc closing a cycle in a frame MAX_DEPTH deep -> the loop entry (or FINISH) it goes
    # to instead: the compiler refuses such a definition (FZ4005, `quotas.py`)
    redirected: dict[Arc, str] = field(default_factory=dict)

    @cached_property
    def loops(self) -> dict[str, str]:
        """node id -> condition of the `loop [...]` fragment naming it."""
        return {r.node: lp.condition for lp in self.flow.plan.diagram.loops for r in lp.refs}

    @cached_property
    def _feeds(self) -> dict[str, str]:
        """step key -> the source of the first transition into it."""
        found: dict[str, str] = {}
        for t in self.flow.workflow.transitions:
            found.setdefault(t.target, t.source)
        return found

    def comment(self, step: Step) -> str:
        line = self.line_of(step.span.start)
        where = f", line {line}" if line else ""
        if step.kind != "task":
            return f"{step.node}{where}"
        src = self._feeds.get(step.key, "")
        src = (self.flow.workflow.node or "start") if src == ROOT else src
        return f"{src} -> {step.node}{where}"

    def placeholder(self, service: str, step: Step) -> str:
        key = f"{SUB_PREFIX[service]}_{self._resource_id(service, step)}"
        if key in self.subs and self.subs[key] != step.resource:
            key = f"{key}_{step.key}"
        self.subs[key] = step.resource
        return "${" + key + "}"

    def _resource_id(self, service: str, step: Step) -> str:
        value = step.resource
        if isinstance(value, dict) and "Ref" in value:
            return str(value["Ref"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        plan = self.flow.plan
        for node in plan.nodes:
            for lid in node.resources if node.id == step.node else ():
                res = plan.resource(lid)
                if res is not None and res.type == CFN_TYPE[service]:
                    return lid
        return step.node

    def key_schema(self, step: Step) -> list[str]:
        """Key attribute names of the table a putItem task writes (HASH first)."""
        value = step.resource
        lid = value.get("Ref") if isinstance(value, dict) else None
        res = self.flow.plan.resource(lid) if isinstance(lid, str) else None
        keys = (res.properties.get("KeySchema") if res else None) or [
            {"AttributeName": "pk", "KeyType": "HASH"}
        ]
        order = {"HASH": 0, "RANGE": 1}
        return [k["AttributeName"] for k in sorted(keys, key=lambda k: order.get(k["KeyType"], 2))]


# -- compute steps and events ---------------------------------------------------------------
def lambda_state(ctx: Ctx, step: Step) -> dict:
    retry = [LAMBDA_RETRY]
    condition = ctx.loops.get(step.node)
    if condition is not None:  # `loop [retry until ...]`: a bounded retry of this step
        retry.append(FRAGMENT_RETRY)
    comment = ctx.comment(step) + (f"; loop [{condition}]" if condition is not None else "")
    return {
        "Type": "Task",
        "Comment": comment,
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": ctx.placeholder("lambda", step), "Payload.$": "$"},
        # lambda:invoke wraps the function's return value in Payload (G-ASL-1)
        "OutputPath": "$.Payload",
        "Retry": [dict(r) for r in retry],
    }


def task_state(ctx: Ctx, step: Step) -> dict:
    service = step.service or ""
    return {
        "Type": "Task",
        "Comment": ctx.comment(step),
        "Resource": TASKS[service].resource,
        "Parameters": SERVICE_PARAMETERS[service](ctx, step),
        "ResultPath": None,  # the service's reply is metadata: pass the input on unchanged
    }


def pass_state(ctx: Ctx, step: Step) -> dict:
    return {"Type": "Pass", "Comment": ctx.comment(step)}


def end_state(ctx: Ctx, step: Step) -> dict:
    if not says_error(step.label):
        return {"Type": "Succeed", "Comment": ctx.comment(step)}
    error = ids.pascal(step.label, step.node)
    return {"Type": "Fail", "Comment": ctx.comment(step), "Error": error, "Cause": step.label}


# -- service tasks ----------------------------------------------------------------------------
def _dynamodb(ctx: Ctx, step: Step) -> dict:
    keys = ctx.key_schema(step)
    item = {keys[0]: {"S.$": "States.Format('{}#{}', $$.Execution.Name, $$.State.Name)"}}
    if len(keys) > 1:
        item[keys[1]] = {"S.$": "$$.State.EnteredTime"}
    item["data"] = {"S.$": "States.JsonToString($)"}
    return {"TableName": ctx.placeholder("dynamodb", step), "Item": item}


def _sqs(ctx: Ctx, step: Step) -> dict:
    return {"QueueUrl": ctx.placeholder("sqs", step), "MessageBody.$": "$"}


def _sns(ctx: Ctx, step: Step) -> dict:
    return {"TopicArn": ctx.placeholder("sns", step), "Message.$": "States.JsonToString($)"}


def _events(ctx: Ctx, step: Step) -> dict:
    entry = {
        "EventBusName": ctx.placeholder("event-bus", step),
        "Source": f"fzc.{ids.slug(ctx.flow.plan.name, 'diagram', 60)}",
        "DetailType": step.label[:128],
        "Detail.$": "$",
    }
    return {"Entries": [entry]}


def _sfn(ctx: Ctx, step: Step) -> dict:
    return {"StateMachineArn": ctx.placeholder("sfn", step), "Input.$": "$"}


def _s3(ctx: Ctx, step: Step) -> dict:
    key = f"States.Format('{{}}/{{}}-{step.key}.json', $$.StateMachine.Name, $$.Execution.Name)"
    return {
        "Bucket": ctx.placeholder("s3", step),
        "Key.$": key,
        "Body.$": "States.JsonToString($)",
        "ContentType": "application/json",
    }


def _kinesis(ctx: Ctx, step: Step) -> dict:
    return {
        "StreamName": ctx.placeholder("kinesis", step),
        "PartitionKey.$": "$$.Execution.Name",
        "Data.$": "States.JsonToString($)",
    }


SERVICE_PARAMETERS: dict[str, Callable[[Ctx, Step], dict]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "event-bus": _events,
    "sfn": _sfn,
    "s3": _s3,
    "kinesis": _kinesis,
}

# step kind -> body builder; "choice" is built by the compiler (its rules name states)
BUILDERS: dict[str, Callable[[Ctx, Step], dict]] = {
    "lambda": lambda_state,
    "task": task_state,
    "start": pass_state,
    "pass": pass_state,
    "end": end_state,
}
