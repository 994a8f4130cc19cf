"""A project's redaction policy, built from its ``redaction`` JSON and ``capture_content``.

The project's ``redaction`` setting (``PATCH /api/v1/projects/{id}``) is::

    {
      "pii": {"email": true, "phone": false, ...},   # per kind; omitted kinds use the default
      "patterns": [{"name": "employee_id", "regex": "EMP-\\\\d{6}"}],
      "deny_attributes": ["llm.prompts*", "gen_ai.prompt.*", "internal.note"]
    }

``pii`` may also be a bare boolean (all kinds on or off). The default for
omitted kinds is ``Settings.redact_pii`` (on). Invalid settings raise
:class:`heron.errors.ConfigError` naming the bad entry, so the admin API
refuses them before they are stored.
"""

from __future__ import annotations

import fnmatch
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import structlog

from heron.config import Settings
from heron.errors import ConfigError, NotFoundError
from heron.normalize.content import is_content_key
from heron.security.pii import PII_KINDS, Detector, PiiScanner, custom_detector
from heron.store.meta import MetaStore, Project

__all__ = [
    "PolicyCache",
    "RedactionPolicy",
    "parse_redaction_settings",
    "policy_for_project",
]

log = structlog.get_logger(__name__)

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_MAX_PATTERNS: Final = 50
_MAX_DENY: Final = 200


@dataclass(frozen=True)
class RedactionPolicy:
    """What to remove from a project's telemetry before it is written anywhere."""

    capture_content: bool = True
    pii_kinds: frozenset[str] = frozenset(PII_KINDS)
    custom_patterns: tuple[tuple[str, str], ...] = ()
    """``(name, regex)`` pairs; a match becomes ``[REDACTED:<name>]``."""
    deny_attributes: tuple[str, ...] = ()
    """Exact keys or glob patterns (``llm.prompts*``) of attributes never stored."""
    scanner: PiiScanner = field(init=False, repr=False, compare=False)
    _deny_exact: frozenset[str] = field(init=False, repr=False, compare=False)
    _deny_glob: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        custom: list[Detector] = []
        for name, regex in self.custom_patterns:
            try:
                custom.append(custom_detector(name, regex))
            except re.error as exc:
                raise ConfigError(
                    f"redaction pattern {name!r} = {regex!r} is not a valid regular "
                    f"expression ({exc}); fix it in the project's redaction settings"
                ) from exc
        object.__setattr__(self, "scanner", PiiScanner(self.pii_kinds, custom))
        exact = frozenset(p for p in self.deny_attributes if not _is_glob(p))
        globs = [fnmatch.translate(p) for p in self.deny_attributes if _is_glob(p)]
        object.__setattr__(self, "_deny_exact", exact)
        object.__setattr__(self, "_deny_glob", re.compile("|".join(globs)) if globs else None)

    @property
    def is_noop(self) -> bool:
        """True when the policy changes nothing (skip the walk entirely)."""
        return self.capture_content and not self.scanner and not self.deny_attributes

    def drops_key(self, key: str) -> bool:
        """True when an attribute with this key must not be stored."""
        if key in self._deny_exact:
            return True
        if self._deny_glob is not None and self._deny_glob.match(key):
            return True
        return not self.capture_content and is_content_key(key)

    def to_json(self) -> dict[str, Any]:
        """The effective settings, as the admin API shows them."""
        return {
            "capture_content": self.capture_content,
            "pii": {kind: kind in self.pii_kinds for kind in PII_KINDS},
            "patterns": [{"name": n, "regex": r} for n, r in self.custom_patterns],
            "deny_attributes": list(self.deny_attributes),
        }


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def parse_redaction_settings(
    raw: Mapping[str, Any], *, capture_content: bool = True, default_pii: bool = True
) -> RedactionPolicy:
    """Validate a project's ``redaction`` JSON and build its policy."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"redaction settings must be a JSON object, got {raw!r}")
    unknown = set(raw) - {"pii", "patterns", "deny_attributes"}
    if unknown:
        raise ConfigError(
            f"unknown redaction setting(s) {sorted(unknown)}; allowed: pii, patterns, "
            "deny_attributes"
        )
    kinds = _pii_kinds(raw.get("pii", default_pii), default_pii)
    patterns = _patterns(raw.get("patterns", []))
    deny = raw.get("deny_attributes", [])
    if not isinstance(deny, list) or not all(isinstance(d, str) and d for d in deny):
        raise ConfigError(
            f"redaction.deny_attributes must be a list of attribute keys or glob patterns "
            f"such as 'gen_ai.prompt.*', got {deny!r}"
        )
    if len(deny) > _MAX_DENY:
        raise ConfigError(f"redaction.deny_attributes has {len(deny)} entries; keep <= {_MAX_DENY}")
    return RedactionPolicy(
        capture_content=capture_content,
        pii_kinds=kinds,
        custom_patterns=patterns,
        deny_attributes=tuple(deny),
    )


def _pii_kinds(value: Any, default: bool) -> frozenset[str]:
    if isinstance(value, bool):
        return frozenset(PII_KINDS) if value else frozenset()
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"redaction.pii must be true, false or an object such as "
            f'{{"email": true, "ip": false}}, got {value!r}'
        )
    bad = [k for k, v in value.items() if k not in PII_KINDS or not isinstance(v, bool)]
    if bad:
        raise ConfigError(
            f"redaction.pii has invalid entries {bad}: keys must be among "
            f"{', '.join(PII_KINDS)} and values true or false"
        )
    return frozenset(k for k in PII_KINDS if value.get(k, default))


def _patterns(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or len(value) > _MAX_PATTERNS:
        raise ConfigError(
            f"redaction.patterns must be a list of at most {_MAX_PATTERNS} objects "
            f'{{"name": "employee_id", "regex": "EMP-\\\\d{{6}}"}}, got {value!r}'
        )
    result: list[tuple[str, str]] = []
    for item in value:
        name = item.get("name") if isinstance(item, Mapping) else None
        regex = item.get("regex") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not _NAME.match(name) or name in PII_KINDS:
            raise ConfigError(
                f"redaction pattern {item!r} needs a 'name' of lower-case letters, digits and "
                f"'_' (not a built-in kind such as 'email'); it appears as [REDACTED:<name>]"
            )
        if not isinstance(regex, str) or not regex:
            raise ConfigError(f"redaction pattern {name!r} needs a non-empty 'regex' string")
        result.append((name, regex))
    return tuple(result)


def policy_for_project(project: Project, settings: Settings | None = None) -> RedactionPolicy:
    """The redaction policy of ``project`` (``settings.redact_pii`` fills omitted kinds)."""
    default_pii = settings.redact_pii if settings is not None else True
    # The server-wide switch wins: HERON_CAPTURE_CONTENT=false means no project keeps text.
    capture = project.capture_content and (settings is None or settings.capture_content)
    return parse_redaction_settings(
        project.redaction, capture_content=capture, default_pii=default_pii
    )


class PolicyCache:
    """Policies by project id, re-read from the metadata store at most every ``ttl_s``.

    The ingest hot path asks for a policy on every request; a settings change
    reaches all servers within ``ttl_s`` seconds (at once on the server that
    made it, through :meth:`invalidate`).
    """

    def __init__(
        self,
        meta: MetaStore,
        settings: Settings | None = None,
        *,
        ttl_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._meta = meta
        self._settings = settings
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, RedactionPolicy]] = {}

    def get(self, project_id: str) -> RedactionPolicy:
        """The project's policy; a missing project gets the defaults of the settings."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(project_id)
            if entry is not None and now - entry[0] < self._ttl_s:
                return entry[1]
        try:
            policy = policy_for_project(self._meta.get_project(project_id), self._settings)
        except ConfigError as exc:
            # Settings edited into the database by hand: fail closed (every kind on,
            # no content) rather than refusing the project's telemetry.
            log.error("invalid_redaction_settings", project_id=project_id, error=str(exc))
            policy = RedactionPolicy(capture_content=False)
        except NotFoundError:
            policy = RedactionPolicy(
                capture_content=self._settings.capture_content if self._settings else True,
                pii_kinds=frozenset(PII_KINDS)
                if self._settings is None or self._settings.redact_pii
                else frozenset(),
            )
        with self._lock:
            self._entries[project_id] = (now, policy)
        return policy

    def invalidate(self, project_id: str | None = None) -> None:
        """Forget one project's policy (all when ``None``) so the next get re-reads it."""
        with self._lock:
            if project_id is None:
                self._entries.clear()
            else:
                self._entries.pop(project_id, None)
