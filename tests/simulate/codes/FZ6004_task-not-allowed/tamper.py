"""The state machine's role loses its dynamodb:PutItem grant."""


def tamper(template: dict) -> None:
    role = template["Resources"]["OrdersStepFunctionsRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    statements[:] = [s for s in statements if "dynamodb:PutItem" not in s["Action"]]
