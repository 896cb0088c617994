"""Run compiled workflows locally under moto: in-process Lambda handlers (`lambdas`) and
Step Functions helpers (`sfn`) that register, execute and trace state machines."""
