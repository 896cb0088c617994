"""Build the plan: allocate ids, lay down node components, then realise edges in order."""

from __future__ import annotations

from dataclasses import dataclass, field

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.model import Diagram, Edge
from fzc.wire import finish, ids, infer, limits, rules, workflows
from fzc.wire.builder import Builder
from fzc.wire.components import COMPONENTS
from fzc.wire.draft import EdgeContext, End
from fzc.wire.plan import EdgePlan, Effect, Plan, Step, Transition, Trigger
from fzc.wire.refs import getatt
from fzc.wire.tasks import TASKS
from fzc.wire.workflows import Group


@dataclass
class DraftWorkflow:
    """A workflow while the planner adds its steps and transitions."""

    group: Group
    lid: str
    label: str
    steps: dict[str, Step] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    start: str | None = None


def _num(node_id: str):
    return workflows._num(node_id)


class Planner:
    def __init__(self, diagram: Diagram, name: str, source=None, *, stop_early: bool = True):
        self.d = diagram
        self.stop_early = stop_early
        self.name = name
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        typed, diags = infer.infer(diagram)
        self.diagnostics += diags
        self.b = Builder(diagram, dict(typed))
        self.typed = typed
        self.groups = workflows.find(diagram, typed)
        self.flows: list[DraftWorkflow] = []
        self.edge_plans: list[EdgePlan] = []
        self._invokes: dict[tuple[str, str], list[Effect]] = {}

    # -- ids -----------------------------------------------------------------------------
    def _allocate(self) -> None:
        order = sorted(self.d.by_id, key=_num)
        for node_id in order:
            t = self.typed[node_id]
            if t.kind.cfn_type is None:
                continue
            node = t.node
            base = ids.pascal(node.label, node_id)
            self.b.primary[node_id] = self.b.alloc.claim(base, base + node_id.capitalize())
            self.b.slugs[node_id] = ids.slug(node.label, node_id, 18)

    def _components(self) -> None:
        for node_id in sorted(self.b.primary, key=_num):
            t = self.typed[node_id]
            COMPONENTS[t.kind.name](self.b, t.node, self.b.primary[node_id])

    # -- workflows -----------------------------------------------------------------------
    def _workflows(self) -> None:
        for group in self.groups:
            if group.orchestrator:
                lid = self.b.primary[group.orchestrator]
                label = self.typed[group.orchestrator].node.label
            else:
                first = self.typed[group.start or group.members[0]].node
                label = f"{first.label} workflow"
                lid = self.b.alloc.claim(ids.pascal(label, first.id))
                self._implicit_machine(lid, label, first)
            flow = DraftWorkflow(group, lid, label)
            for m in group.members:
                flow.steps[m] = self._member_step(m)
            flow.start = group.start
            self.flows.append(flow)
            for step in flow.steps.values():
                if step.kind == "lambda":  # every step, the first one included
                    self._machine_grant_invoke(flow, step)
            for m in group.members:
                if m in self.b.primary and self.typed[m].kind.name == "lambda":
                    self.b.functions[self.b.primary[m]].triggers.append(
                        Trigger("sfn-task", group.orchestrator or m, None, (("workflow", lid),))
                    )

    def _implicit_machine(self, lid: str, label: str, first) -> None:
        from fzc.wire.components import state_machine

        node = type(first)(
            first.id, first.lane, "rectangle", (("label", label),), first.span, first.id_span
        )
        state_machine(self.b, node, lid)

    def _member_step(self, node_id: str) -> Step:
        t = self.typed[node_id]
        resource = None
        if t.kind.name == "lambda":
            resource = getatt(self.b.primary[node_id], "Arn")
        return Step(node_id, t.kind.name, node_id, t.node.label, t.node.span, None, resource)

    def _machine_grant_invoke(self, flow: DraftWorkflow, step: Step) -> list[Effect]:
        """The grant once per (machine, function); every edge into the step shares it."""
        key = (flow.lid, step.node)
        done = self._invokes.get(key)
        if done is None:
            fn = self.b.primary[step.node]
            resources = [getatt(fn, "Arn"), {"Fn::Sub": f"${{{fn}.Arn}}:*"}]
            role = self.b.grant(flow.lid, ("lambda:InvokeFunction",), resources)
            payload = {"actions": ["lambda:InvokeFunction"], "resources": resources}
            done = self._invokes[key] = [Effect("iam", role, payload)]
        return done

    # -- edges ---------------------------------------------------------------------------
    def _claims(self, e: Edge) -> list[DraftWorkflow]:
        return self.by_node.get(e.source.node, [])

    def _index_flows(self) -> None:
        """node id -> the workflows it is a member or the orchestrator of (linear lookups)."""
        self.by_node: dict[str, list[DraftWorkflow]] = {}
        for flow in self.flows:
            nodes = [*flow.group.members]
            if flow.group.orchestrator:
                nodes.append(flow.group.orchestrator)
            for n in dict.fromkeys(nodes):
                self.by_node.setdefault(n, []).append(flow)

    def _edge(self, e: Edge) -> None:
        if e.source.node not in self.d.by_id or e.target.node not in self.d.by_id:
            return
        flows = self._claims(e)
        if flows:
            for flow in flows:
                self._workflow_edge(flow, e)
        else:
            self._integration(e)

    def _record(self, e: Edge, rule: str, summary: str, effects: list[Effect]) -> None:
        self.edge_plans.append(
            EdgePlan(e.index, e.source.node, e.target.node, e.label, rule, summary, tuple(effects))
        )

    def _workflow_edge(self, flow: DraftWorkflow, e: Edge) -> None:
        u, v = e.source.node, e.target.node
        entry = flow.group.orchestrator == u
        src_key = "^" if entry else u
        if v in flow.steps:
            step = flow.steps[v]
            flow.transitions.append(Transition(src_key, v, e.label, e.index))
            effects = [Effect("transition", flow.lid, {"from": src_key, "to": v, "label": e.label})]
            if step.kind == "lambda":
                effects += self._machine_grant_invoke(flow, step)
            rule = (
                "sfn-start"
                if entry
                else ("sfn-choice-branch" if self.typed[u].kind.name == "choice" else "sfn-next")
            )
            summary = f"control flow in state machine {flow.lid}"
            self._record(e, rule, summary, effects)
            return
        kind = self.typed[v].kind.name
        task = TASKS.get(kind)
        if task is None:
            self._no_rule(e, self.typed[u].kind.name, kind, inside=flow.lid)
            return
        target = self.b.end(v)
        resources = [self.b.attr(target, task.attr)]
        role = self.b.grant(flow.lid, task.actions, resources)
        key = f"e{e.index}"
        flow.steps[key] = Step(
            key,
            "task",
            v,
            e.label or target.lid,
            e.span,
            kind,
            self.b.attr(target, _TASK_VALUE[kind]),
        )
        flow.transitions.append(Transition(src_key, key, e.label, e.index))
        if entry and flow.start is None:
            flow.start = key
        effects = [
            Effect("task", flow.lid, {"resource": task.resource, "target": target.lid}),
            Effect("iam", role, {"actions": list(task.actions), "resources": resources}),
        ]
        self._record(
            e,
            f"sfn-task-{kind}",
            f"a {task.resource.rsplit(':', 1)[-1]} task in state machine {flow.lid}",
            effects,
        )

    def _end_for(self, node_id: str) -> End:
        t = self.typed[node_id]
        if t.kind.category == "state":
            flow = self.by_node[node_id][0]
            return End(flow.group.orchestrator, "sfn", flow.lid, "")
        return self.b.end(node_id)

    def _integration(self, e: Edge) -> None:
        src, dst = self._end_for(e.source.node), self._end_for(e.target.node)
        dlq = self.typed[e.target.node].dlq
        rule, reverse = rules.lookup(src.kind, dst.kind, e.label or "", dlq)
        if rule is not None:
            if reverse:
                src, dst = dst, src
            effects = self._apply(e, rule, src, dst)
            self._record(e, rule.name, rule.summary, effects)
            return
        if finish.glue(self, e, src, dst):
            return
        self._no_rule(e, src.kind, dst.kind)

    def _apply(self, e: Edge, rule: rules.Rule, src: End, dst: End) -> list[Effect]:
        ctx = EdgeContext(
            e.index,
            e.label or "",
            e.span,
            e.lane or self.typed[e.source.node].node.lane,
            f"{e.source.node} -> {e.target.node}",
            src,
            dst,
        )
        for effect in rule.effects:
            effect.apply(self.b, ctx)
        return ctx.effects

    def _no_rule(self, e: Edge, src_kind: str, dst_kind: str, inside: str | None = None) -> None:
        options = rules.targets_of(src_kind)
        where = f" inside state machine {inside}" if inside else ""
        help_ = (
            f"{src_kind} connects to: {', '.join(options)}"
            if options
            else f"nothing connects from {src_kind}; "
            "reverse the edge or change a kind with "
            '`system:"..."`'
        )
        if inside:
            help_ = "a workflow step hands to: " + ", ".join(sorted(TASKS)) + " or another step"
        self.diagnostics.append(
            diag(
                CODES["FZ3003"],
                f"no AWS integration for {src_kind} -> {dst_kind}{where}",
                e.span,
                label=f"{e.source.node} -> {e.target.node}",
                help=help_,
            )
        )
        self._record(e, "none", "not realised", [])

    # -- run -----------------------------------------------------------------------------
    def run(self) -> tuple[Plan | None, list[Diagnostic]]:
        self._allocate()
        if self.stop_early and (over := self._certainly_over()):
            return None, self.diagnostics + over
        self._components()
        self._workflows()
        self._index_flows()
        for e in self.d.edges:
            self._edge(e)
        self._empty_workflows()
        self.diagnostics += self.b.diagnostics
        plan = finish.freeze(self)
        self.diagnostics += limits.counted(self.d, len(plan.resources), len(plan.outputs))
        return plan, self.diagnostics

    def bounds(self) -> tuple[int, int]:
        """Once ids are allocated: at least how many resources (each primary is one, before
        roles, log groups and edges), and exactly how many outputs (those of its kind)."""
        primaries = [self.typed[n].kind.cfn_type for n in self.b.primary]
        return len(primaries), sum(t in finish.OUTPUTS for t in primaries)

    def _certainly_over(self) -> list[Diagnostic]:
        """FZ4002 (and FZ4004 with it) when certain before any resource is built. Only the
        resource bound stops planning: it is what makes huge diagrams expensive."""
        resources, outputs = self.bounds()
        if resources <= limits.MAX_RESOURCES:
            return []
        return limits.counted(self.d, resources, outputs, early=True)

    def _empty_workflows(self) -> None:
        for flow in self.flows:
            if flow.start is None and flow.group.orchestrator:
                node = self.typed[flow.group.orchestrator].node
                self.diagnostics.append(
                    diag(
                        CODES["FZ3005"],
                        f"state machine `{node.id}` orchestrates nothing",
                        node.span,
                        label="no edge leads from it to a step, decision or service",
                        help=f"draw its first step: `{node.id}.handle(right) -> n2.handle(left)`",
                    )
                )


_TASK_VALUE = {
    "dynamodb": "name",
    "sqs": "url",
    "sns": "arn",
    "event-bus": "name",
    "sfn": "arn",
    "s3": "name",
    "kinesis": "name",
}
