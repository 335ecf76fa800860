"""The conversation engine, pure Python: flow model, loader, engine and easy-read checks.

Nothing here imports Flask or touches a database; `gateway` and `kiosk` use it.
"""
