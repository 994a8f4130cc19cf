"""The web UI: server-rendered pages, SVG charts and a little JavaScript of our own."""

from heron.ui.router import ui_router

__all__ = ["ui_router"]
