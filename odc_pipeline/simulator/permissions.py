"""Permission names as the specs print them (``x-os-permissions``), and per-stage grants.

ODC grants permissions to an API client per stage. Asset-level operations (builds, tags) have
no stage in their request, so a grant in any stage is enough for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

OPEN = "Asset management > Open"
CHANGE = "Asset management > Change"
CREATE = "Asset management > Create"
DEPLOY = "Release management > Deploy assets"
RELEASE = "Release management > Release"
VIEW_STAGE = "Stage > View stage"
VIEW_CONFIG = "Configuration management > View configurations"
EDIT_CONFIG = "Configuration management > Edit configurations"
VIEW_QUALITY = "Analyze > View Code Quality findings"
MANAGE_QUALITY = "Analyze > Manage code quality findings"

ALL_PERMISSIONS = (
    OPEN,
    CHANGE,
    CREATE,
    DEPLOY,
    RELEASE,
    VIEW_STAGE,
    VIEW_CONFIG,
    EDIT_CONFIG,
    VIEW_QUALITY,
    MANAGE_QUALITY,
)
ALL = "all"
ANY_STAGE = "*"


class Grants:
    """What one API client may do, stage by stage (keys are stage keys, ``*`` for all)."""

    def __init__(self, granted: Mapping[str, Sequence[str]], denied: Mapping[str, Sequence[str]]):
        self._granted = {stage: _expand(names) for stage, names in granted.items()}
        self._denied = {stage: _expand(names) for stage, names in denied.items()}

    def in_stage(self, stage_key: str) -> frozenset[str]:
        granted = self._granted.get(ANY_STAGE, frozenset()) | self._granted.get(stage_key, frozenset())
        denied = self._denied.get(ANY_STAGE, frozenset()) | self._denied.get(stage_key, frozenset())
        return frozenset(granted - denied)

    def allows(self, permission: str, stage_key: str | None, stage_keys: Sequence[str]) -> bool:
        """``stage_key=None`` asks "in any stage" (asset-level operations)."""
        if stage_key is not None:
            return permission in self.in_stage(stage_key)
        return any(permission in self.in_stage(k) for k in stage_keys)

    def has_any(self, stage_keys: Sequence[str]) -> bool:
        return any(self.in_stage(k) for k in stage_keys)


def _expand(names: Sequence[str]) -> frozenset[str]:
    return frozenset(ALL_PERMISSIONS) if ALL in names else frozenset(names)
