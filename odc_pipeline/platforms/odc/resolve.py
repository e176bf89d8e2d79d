"""ODC resolve: Portfolio v2 stages, Assets API names and revisions, deployed-assets.

Read-only by design: ``--plan`` and the first minutes of every run are made of these calls,
so nothing here may change the tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from threading import Event
from typing import Any

from odc_pipeline.errors import UsageError
from odc_pipeline.platforms.base import AssetRef, EnvironmentRef, ResolvedRevision, RunningState
from odc_pipeline.platforms.odc.build import FINISHED, is_release, status

SELECTORS = "latest, a number, tag:X.Y.Z, highest-tag or from:<stage>"
# Look-ups from which one tenant-wide build listing is tried before the per-revision reads:
# below it the reads cost a few round trips; at 200 apps they cost two minutes of the domain.
SIGHTING_FROM = 10


def environments(client: Any) -> list[EnvironmentRef]:
    """Portfolio v2 stages in promotion order."""
    envs = [
        EnvironmentRef(key=str(e.key), name=str(e.name or ""), order=int(getattr(e, "order", 0) or 0))
        for e in client.portfolio.environments()
    ]
    return sorted(envs, key=lambda e: e.order)


def asset_ref(found: Any) -> AssetRef:
    return AssetRef(key=str(found.asset_key), name=str(found.name), asset_type=asset_type(found), raw=found)


def asset_type(asset: Any) -> str:
    return str(getattr(asset, "asset_type", "") or "")


@dataclass
class AssetDirectory:
    """Answers of one batched asset read, each handed out once, so resolve asks per asset only
    for what the batch did not bring.

    ``GET /assets`` (and ``GET /assets/{key}``) return each asset's *latest revision*, so the
    read that finds an asset also answers ``revision: latest``; keeping that number saves the
    ``latest-revision`` call per app. Entries are taken, not kept: a second question about the
    same asset (later in the run) reads the platform again instead of an old answer.
    """

    names: dict[str, list[AssetRef]] = field(default_factory=dict)
    keys: dict[str, AssetRef] = field(default_factory=dict)
    latest: dict[str, int] = field(default_factory=dict)
    release_builds: dict[tuple[str, int], list[Any]] = field(default_factory=dict)
    sighted: dict[tuple[str, int], list[Any]] = field(default_factory=dict)

    def prefetch(self, client: Any, *, names: Sequence[str], keys: Sequence[str]) -> None:
        if len(names) > 1:
            for name, found in client.assets.find_by_names(names).items():
                self.names[name] = [self._seen(f) for f in found]
        if len(keys) > 1:
            for key, found in client.assets.get_many(keys).items():
                self.keys[key] = self._seen(found)

    def find(self, client: Any, name: str) -> list[AssetRef]:
        """Assets named ``name`` ignoring case (what the Assets API's name filter returns)."""
        found = self.names.pop(name, None)
        return found if found is not None else [self._seen(m) for m in client.assets.find_by_name(name)]

    def get(self, client: Any, key: str) -> AssetRef:
        found = self.keys.pop(key, None)
        return found if found is not None else self._seen(client.assets.get(key))

    def take_latest(self, key: str) -> int | None:
        return self.latest.pop(key, None)

    def list_release_builds(self, client: Any, key: str, revision: int, *, keep: bool = False) -> list[Any]:
        """The revision's Release builds: the answer kept by an earlier read (``keep``), else read.

        The build permission probe reads the first app's list, which the build stage's
        search for that app needs a moment later; keeping it spares that domain a call (at
        201 calls for 200 apps, a whole extra minute of the budget).
        """
        kept = self.release_builds.get if keep else self.release_builds.pop
        listed = kept((key, revision), None)
        if listed is None:
            listed = list(client.builds.list(key, revision=revision, build_type="Release"))
            if keep:
                self.release_builds[(key, revision)] = listed
        return listed

    def prefetch_release_builds(
        self, client: Any, items: Sequence[tuple[AssetRef, ResolvedRevision]], *, stop: Event
    ) -> None:
        """Keep each revision's Release builds for the build stage's search, until ``stop``.

        A refused or failed read ends the prefetch quietly (a look-ahead must never fail the
        run): the build stage reads that list again and reports what it always reported, at
        the point it always did.
        """
        for asset, revision in items:
            if stop.is_set() or revision.number is None:
                return
            try:
                self.list_release_builds(client, asset.key, revision.number, keep=True)
            except Exception:
                return

    def sight_release_builds(
        self, client: Any, items: Sequence[tuple[AssetRef, ResolvedRevision]]
    ) -> list[tuple[AssetRef, ResolvedRevision]]:
        """Look for the revisions' Finished Release builds in one tenant-wide listing; return
        the items it did not settle (still to be read one by one).

        Whether a tenant lists every build without ``assetKey`` is UNDOC (it may refuse, answer
        nothing or cut the list short), so what it shows is kept as a sighting: enough to reuse
        a Finished build it lists, never proof that a revision has no other build. A revision
        it shows no Finished build of is read on its own, as is every item when the listing
        fails or leaves out a build that a revision's own list (the permission probe's, kept)
        holds: a listing cut short could hide a newer build of a revision it shows.
        """
        items = [(a, r) for a, r in items if not self._settled(a.key, r.number)]
        wanted = {(a.key, r.number) for a, r in items if r.number is not None}
        if len(wanted) < SIGHTING_FROM:
            return items
        try:
            listed = client.builds.list_tenant_wide(build_type="Release")
        except Exception:
            return items
        shown = {str(b.build_key) for b in listed}
        for own in self.release_builds.values():
            if any(str(b.build_key) not in shown for b in own):
                return items
        for build in listed:
            key = (str(build.asset_key), int(build.asset_revision))
            if key in wanted and is_release(build):
                self.sighted.setdefault(key, []).append(build)
        return [(a, r) for a, r in items if not self._settled(a.key, r.number)]

    def _settled(self, key: str, revision: int | None) -> bool:
        """Whether the build stage's search has what it needs: the revision's own list, or a
        sighting of a Finished build of it."""
        if revision is None or (key, revision) in self.release_builds:
            return True
        return any(status(b) == FINISHED for b in self.sighted.get((key, revision), []))

    def take_sighting(self, key: str, revision: int) -> list[Any]:
        """The Release builds of the revision the tenant-wide listing showed (once; may be none)."""
        return self.sighted.pop((key, revision), [])

    def _seen(self, found: Any) -> AssetRef:
        ref = asset_ref(found)
        revision = getattr(found, "revision", None)
        if isinstance(revision, int) and revision > 0:
            self.latest[ref.key] = revision
        return ref


def revision_for(
    client: Any, asset: AssetRef, selector: str, *, label: str, latest: int | None = None
) -> ResolvedRevision:
    """One selector → a revision number, checked to exist now (not at build time).

    ``latest``: the latest revision the read that found the asset already returned (no call).
    """
    assets = client.assets
    if selector in {"", "latest"}:
        if latest is not None:
            return ResolvedRevision(number=latest)
        return ResolvedRevision(number=int(assets.latest_revision(asset.key).revision))
    if selector.isdigit():
        number = int(selector)
        assets.get_revision(asset.key, number)  # a revision that does not exist fails here, not at build
        return ResolvedRevision(number=number)
    if selector == "highest-tag":
        found = assets.highest_tag_revision(asset.key)
        if found is None:
            raise UsageError(f"{label} has no tagged revision (revision: highest-tag)")
        return ResolvedRevision(number=int(found.revision))
    if selector.startswith("tag:"):
        tag = selector[4:].strip()
        for revision in assets.list_revisions(asset.key, is_tagged=True):
            if str(getattr(revision, "tag", "") or "") == tag:
                return ResolvedRevision(number=int(revision.revision))
        raise UsageError(f"{label} has no revision tagged {tag!r}")
    raise UsageError(f"{label}: unknown revision selector {selector!r} (use {SELECTORS})")


def deployments_by_asset(client: Any, keys: Iterable[str], env_key: str) -> dict[str, Any]:
    """Portfolio deployed-assets: asset key → its Deployment entry in ``env_key`` (if any)."""
    keys = list(keys)
    if not keys:
        return {}
    found: dict[str, Any] = {}
    for deployed in client.portfolio.deployed_assets(asset_keys=keys, environment_keys=[env_key]):
        for deployment in getattr(deployed, "deployments", None) or ():
            if str(deployment.environment_key) == env_key and str(deployed.key) not in found:
                found[str(deployed.key)] = deployment
    return found


def running_state(asset_key: str, env_key: str, deployment: Any) -> RunningState:
    return RunningState(
        asset_key=asset_key,
        environment_key=env_key,
        revision=int(deployment.revision) if deployment.revision is not None else None,
        unit_key=str(deployment.build_key) if deployment.build_key else None,
        url=getattr(deployment, "url", None),
    )


def running_all(client: Any, environment: EnvironmentRef, keys: Sequence[str]) -> dict[str, RunningState]:
    """One deployed-assets read for the whole release (not one per app)."""
    return {
        key: running_state(key, environment.key, deployment)
        for key, deployment in deployments_by_asset(client, keys, environment.key).items()
    }


def producers(client: Any, asset: AssetRef, revision: ResolvedRevision) -> list[str]:
    """Keys of the asset's producers (Dependency Management API), in the order ODC lists them."""
    return [str(p.key) for p in client.dependencies.producers(asset.key, revision.number)]


def producers_all(client: Any, assets: Sequence[tuple[AssetRef, ResolvedRevision]]) -> dict[str, list[str]]:
    """Every asset's producers, reading only the graphs no earlier read showed.

    The producers read (``maxDepth`` 0: the whole graph) lists every transitive producer of
    an app, each with its revision and its own ``producers``. So once a consumer's graph is
    read, every producer in it whose listed revision is the one this run resolved needs no
    read of its own: its producers are the closure of its entry's ``producers`` within that
    graph. Consumers are read first (pipeline files list producers before their consumers,
    so the file's order reversed), which is where one read covers the most. The Dependency
    Management budget (100 a minute) is shared with every impact analysis and its polls, so
    each read saved is an analysis that starts sooner. An entry with another revision, or
    without ``producers``, proves nothing: that asset is read as before.
    """
    wanted = {asset.key: revision.number for asset, revision in assets}
    found: dict[str, list[str]] = {}
    for asset, revision in reversed(list(assets)):
        if asset.key in found:
            continue
        graph = client.dependencies.producers(asset.key, revision.number)
        found[asset.key] = [str(p.key) for p in graph]
        entries = {str(p.key): p for p in graph}
        for key, entry in entries.items():
            if key in found or wanted.get(key) is None or getattr(entry, "revision", None) != wanted[key]:
                continue
            closure = _closure(entries, key)
            if closure is not None:
                found[key] = closure
    return {asset.key: found[asset.key] for asset, _ in assets}


def _closure(entries: dict[str, Any], key: str) -> list[str] | None:
    """The transitive producers of ``key`` from one graph's entries; None when the graph does
    not say them all (an entry without ``producers``, or a producer it does not describe)."""
    seen: list[str] = []
    todo = [key]
    while todo:
        entry = entries.get(todo.pop(0))
        children = getattr(entry, "producers", None) if entry is not None else None
        if children is None:
            return None  # null/absent is "not said" (UNDOC), never "no producers": read it
        for child in map(str, children):
            if child not in seen:
                seen.append(child)
                todo.append(child)
    return seen


def permission_probes(
    client: Any,
    target: EnvironmentRef,
    *,
    stages: Collection[str],
    apps: Sequence[tuple[AssetRef, ResolvedRevision]],
    code_quality: bool = False,
    directory: AssetDirectory | None = None,
) -> list[tuple[str, Callable[[], object]]]:
    """Reads with the permission each selected later stage needs.

    Only reads are possible (the API has no "check my permissions" call); a permission that
    only a mutating call needs (deploying) is found by the impact analysis, which needs the
    same permission and runs before any deploy. The build probe is the first app's list of
    Release builds, kept in ``directory`` for the build stage's search.
    """
    probes: list[tuple[str, Callable[[], object]]] = []
    if apps and ("build" in stages or "deploy" in stages):
        first, revision = apps[0]
        number = revision.number
        if directory is not None and number is not None:
            probes.append(
                ("build", lambda: directory.list_release_builds(client, first.key, number, keep=True))
            )
        else:
            probes.append(("build", lambda: client.builds.list(first.key, revision=number)))
    if "deploy" in stages or "configure" in stages:
        probes.append(("deploy", lambda: list(client.deployments.list(environment_key=target.key, limit=1))))
    if apps and "verify" in stages and code_quality:
        first, revision = apps[0]
        probes.append(("verify", lambda: client.code_quality.get_summary(first.key, revision.number)))
    return probes


def probe_deploy_assets(
    client: Any, target: EnvironmentRef, asset: AssetRef, revision: ResolvedRevision
) -> str | None:
    """``Release management > Deploy assets`` in the target, asked with a call that needs it.

    A deployment impact analysis (``POST /deployment-analyses``) needs exactly that permission
    (spec ``x-os-permissions``) and changes nothing in the stage. It is the analysis the
    impact-analysis stage would start for this asset, so its key is returned for reuse.
    """
    from odc_pipeline.api.errors import ApiError, PermissionDeniedError
    from odc_pipeline.platforms.odc.recovery import resend_is_safe

    assert revision.number is not None
    try:
        return str(
            client.dependencies.start_deployment_analysis(
                asset.key, revision.number, target.key, find_again=resend_is_safe
            )
        )
    except PermissionDeniedError:
        raise
    except ApiError:
        # 404 (analyses unavailable) or another refusal: the permission check passed; a 5xx or
        # no answer says nothing about it, and the impact stage or the deploy will ask again
        return None
