"""A state no transition leads to."""


def tamper(template: dict) -> None:
    states = template["Resources"]["OrdersStepFunctions"]["Properties"]["Definition"]["States"]
    states["Audit"] = {"Type": "Pass", "End": True}
