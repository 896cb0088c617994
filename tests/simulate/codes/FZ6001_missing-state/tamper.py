"""The decision's default branch goes to a state the definition does not have."""


def tamper(template: dict) -> None:
    states = template["Resources"]["OrdersStepFunctions"]["Properties"]["Definition"]["States"]
    states["Valid"]["Default"] = "Reject"
