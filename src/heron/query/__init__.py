"""Turning API requests into store calls: time parsing and project-scoped reads."""

from heron.query.service import MAX_PAGE, ProjectQueries
from heron.query.timeparse import parse_duration, parse_instant, parse_time_range

__all__ = ["MAX_PAGE", "ProjectQueries", "parse_duration", "parse_instant", "parse_time_range"]
