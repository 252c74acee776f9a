"""kbtool: turn formal call-center knowledge-base text into plain spoken answers."""

__version__ = "0.1.0"
