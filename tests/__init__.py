"""The gateway's tests; fixtures are in conftest.py."""
