"""The conversation engine in pure Python: model, loader, engine, easy-read checks.

Nothing here imports Flask or touches a database; `gateway` and `kiosk` use it.
"""
