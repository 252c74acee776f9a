"""Sub-command modules. Each has ``register(sub, common)`` adding its parsers; cli.py wires them.

Add a module name here to plug a new command group in (kept as names so that importing the CLI
does not import every service up front).
"""

MODULES: list[str] = [
    "tui",
    "review",
    "search",
    "questions",
    "rewrite",
]
