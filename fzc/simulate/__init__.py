"""`fzc simulate`: run the compiled architecture locally, in moto, before deploying it.

`run.simulate(plan)` compiles the plan in memory (`run.build`), checks what moto cannot
(`checks`: transitions and IAM, with `iam` and `resolve`), deploys the template into moto and
fills in what moto's CloudFormation leaves out (`aws`, `deploy`), runs the generated handlers
in-process (`lambdas`) and the state machines in moto's interpreter (`sfn`, `machines`),
sends each scenario's event (`scenarios`, `send`), records what happens and puts it down to
the diagram's edges (`observe`, `stores`), judges it (`judge`) and reports it (`records`,
`report`).
"""
