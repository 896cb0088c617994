"""The function's role loses the grant to read its queue."""


def tamper(template: dict) -> None:
    role = template["Resources"]["ProcessLambdaRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    statements[:] = [s for s in statements if "sqs:ReceiveMessage" not in s["Action"]]
