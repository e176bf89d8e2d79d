"""Asset Repository: find assets and revisions, set version tags and release notes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from odc_pipeline.api.endpoints import ASSET_REPOSITORY
from odc_pipeline.api.errors import BadRequestError, NotFoundError
from odc_pipeline.api.http import HttpClient
from odc_pipeline.api.models.assets import AssetRevision, AssetRevisionPatch
from odc_pipeline.api.pagination import DEFAULT_PAGE_SIZE, iter_offset_pages

TAG_IN_USE = "OS-APPS-40021"
LIST_PAGE_SIZE = 1000  # GET /assets' documented maximum ``limit``
KEYS_PER_REQUEST = 40  # repeated assetKeys= stay under 2 KB of query (UNDOC: the gateway's URL limit)


class AssetsApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def find_by_name(self, name: str) -> list[AssetRevision]:
        """Assets whose name equals ``name`` ignoring case (the API only offers "contains").

        Case is left to the caller on purpose: the engine resolves exact names only, and uses
        a case-only near miss to say "did you mean 'Orders Portal'?" instead of "not found".
        """

        def fetch(offset: int, limit: int) -> dict:
            return self._http.request(
                "GET",
                ASSET_REPOSITORY,
                "/assets",
                params={"nameContains": name, "limit": limit, "offset": offset},
            )

        wanted = name.casefold()
        return [
            asset
            for asset in (AssetRevision.model_validate(item) for item in iter_offset_pages(fetch))
            if asset.name.casefold() == wanted
        ]

    def find_by_names(self, names: Iterable[str]) -> dict[str, list[AssetRevision]]:
        """:meth:`find_by_name` for several names at once, in as few calls as the spec allows.

        ``nameContains`` takes one string, so N names cost N calls (N minutes of the Asset
        Repository's 100 requests/min at a few hundred apps). Listing every asset (the spec's
        largest page, 1000) and matching here gives the same answer — the list holds every
        asset the name filter could return — in one call per thousand assets. The first page's
        ``totalResults`` tells which way is cheaper; a tenant with more pages than there are
        names is asked name by name.
        """
        wanted = list(dict.fromkeys(names))
        if len(wanted) < 2:
            return {name: self.find_by_name(name) for name in wanted}
        first = self._list_page(0)
        total = (first.get("page") or {}).get("totalResults")
        if isinstance(total, int) and -(-total // LIST_PAGE_SIZE) > len(wanted):
            return {name: self.find_by_name(name) for name in wanted}
        by_name: dict[str, list[AssetRevision]] = {}
        for item in iter_offset_pages(self._first_then(first), limit=LIST_PAGE_SIZE):
            asset = AssetRevision.model_validate(item)
            by_name.setdefault(asset.name.casefold(), []).append(asset)
        return {name: by_name.get(name.casefold(), []) for name in wanted}

    def get_many(self, keys: Iterable[str]) -> dict[str, AssetRevision]:
        """:meth:`get` for several keys (their latest revisions) with the ``assetKeys`` filter.

        A key missing from the answer (unknown, or not visible to this client) is simply absent:
        the caller asks :meth:`get` for it, whose 404 names the key as it always did.
        """
        wanted = list(dict.fromkeys(keys))
        found: dict[str, AssetRevision] = {}
        for start in range(0, len(wanted), KEYS_PER_REQUEST):
            chunk = wanted[start : start + KEYS_PER_REQUEST]

            def fetch(offset: int, limit: int, chunk: list[str] = chunk) -> dict:
                return self._http.request(
                    "GET",
                    ASSET_REPOSITORY,
                    "/assets",
                    params={"assetKeys": chunk, "limit": limit, "offset": offset},
                )

            for item in iter_offset_pages(fetch, limit=KEYS_PER_REQUEST):
                asset = AssetRevision.model_validate(item)
                if asset.asset_key in chunk:
                    found[asset.asset_key] = asset
        return found

    def _list_page(self, offset: int) -> dict:
        return self._http.request(
            "GET", ASSET_REPOSITORY, "/assets", params={"limit": LIST_PAGE_SIZE, "offset": offset}
        )

    def _first_then(self, first: dict) -> Callable[[int, int], dict]:
        """A page fetcher for :func:`iter_offset_pages` that answers offset 0 with ``first``."""

        def fetch(offset: int, limit: int) -> dict:
            return first if offset == 0 else self._list_page(offset)

        return fetch

    def list_external_libraries(self) -> list[AssetRevision]:
        """Every ExternalLibrary asset (its latest revision each)."""

        def fetch(offset: int, limit: int) -> dict:
            return self._http.request(
                "GET",
                ASSET_REPOSITORY,
                "/assets",
                params={"assetTypes": ["ExternalLibrary"], "limit": limit, "offset": offset},
            )

        return [AssetRevision.model_validate(item) for item in iter_offset_pages(fetch)]

    def set_commit_message(self, key: str, n: int, commit_message: str) -> None:
        """Set only the commit message of revision ``n`` (PATCH, 204; no tag involved)."""
        self._http.request(
            "PATCH",
            ASSET_REPOSITORY,
            "/assets/{assetKey}/revisions/{revisionNumber}",
            path_params={"assetKey": key, "revisionNumber": n},
            json=AssetRevisionPatch(commit_message=commit_message).to_json(),
        )

    def get(self, key: str) -> AssetRevision:
        """The asset (its latest revision)."""
        return self._one("/assets/{assetKey}", key)

    def latest_revision(self, key: str) -> AssetRevision:
        return self._one("/assets/{assetKey}/latest-revision", key)

    def highest_tag_revision(self, key: str) -> AssetRevision | None:
        """The highest-tagged revision, or None when the asset was never tagged (404)."""
        try:
            return self._one("/assets/{assetKey}/highest-tag-revision", key)
        except NotFoundError:
            return None

    def list_revisions(
        self,
        key: str,
        *,
        is_tagged: bool | None = None,
        sort: str = "-revision",
        tag: str | None = None,
        commit_message: str | None = None,
    ) -> Iterator[AssetRevision]:
        """Every revision, newest first by default (pages fetched lazily).

        ``tag`` keeps the revision with exactly that tag; ``commit_message`` those whose commit
        message contains the text (both are the spec's own filters).
        """

        def fetch(offset: int, limit: int) -> dict:
            return self._http.request(
                "GET",
                ASSET_REPOSITORY,
                "/assets/{assetKey}/revisions",
                path_params={"assetKey": key},
                params={
                    "isTagged": is_tagged,
                    "tag": tag,
                    "commitMessage": commit_message,
                    "sort": sort,
                    "limit": limit,
                    "offset": offset,
                },
            )

        for item in iter_offset_pages(fetch, limit=DEFAULT_PAGE_SIZE):
            yield AssetRevision.model_validate(item)

    def get_revision(self, key: str, n: int) -> AssetRevision:
        body = self._http.request(
            "GET",
            ASSET_REPOSITORY,
            "/assets/{assetKey}/revisions/{revisionNumber}",
            path_params={"assetKey": key, "revisionNumber": n},
        )
        return AssetRevision.model_validate(body)

    def set_tag(
        self,
        key: str,
        n: int,
        *,
        tag: str,
        release_notes: str | None = None,
        commit_message: str | None = None,
    ) -> None:
        """Tag revision ``n`` (PATCH, 204).

        A retried PATCH whose first attempt did land answers "Tag already in use"; when the
        revision already carries exactly this tag the goal is reached, so that is success.
        """
        patch = AssetRevisionPatch(tag=tag, release_notes=release_notes, commit_message=commit_message)
        try:
            self._http.request(
                "PATCH",
                ASSET_REPOSITORY,
                "/assets/{assetKey}/revisions/{revisionNumber}",
                path_params={"assetKey": key, "revisionNumber": n},
                json=patch.to_json(),
            )
        except BadRequestError as exc:
            if exc.error_code == TAG_IN_USE and self.get_revision(key, n).tag == tag:
                return
            raise

    def _one(self, template: str, key: str) -> AssetRevision:
        body = self._http.request("GET", ASSET_REPOSITORY, template, path_params={"assetKey": key})
        return AssetRevision.model_validate(body)
