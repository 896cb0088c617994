"""The rejection task sends a field the execution's input does not have."""


def tamper(template: dict) -> None:
    states = template["Resources"]["OrdersStepFunctions"]["Properties"]["Definition"]["States"]
    states["No"]["Parameters"]["MessageBody.$"] = "$.reason"
