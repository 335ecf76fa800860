"""The organisation's board: sync intake from sites, and the board's own store.

Registered only where the role has a board (GATEWAY_ROLE=board).
"""
