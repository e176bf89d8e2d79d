"""The deployment impact analysis: which consumers and producers a deploy would break.

Derived from the tenant, not scripted: each revision lists the public elements it exposes and
the producer elements it uses. Deploying revision r of an asset to a stage is checked against
what the stage runs: a consumer there that uses an element r no longer exposes is an ``Error``
(``MissingElement``); one using an element whose signature r changed is a ``Warning``
(``IncompatibleElement``). Producers the revision needs must run in the stage with the elements
it uses. Libraries are bundled at build time: each library the revision uses is reported as a
``Producer`` at its released revision (highest tag, else latest) — what a build made now
compiles in — with the elements the revision uses and that library revision lacks as errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from odc_pipeline.simulator.model import Asset, Running

MAX_IMPACTED_ASSETS = 200


def deployment_report(
    asset: Asset, revision: int, running: Mapping[str, Running], assets: Mapping[str, Asset]
) -> dict[str, Any]:
    """``PublicDeploymentAnalysisReport`` for deploying ``asset``@``revision`` where ``running`` runs."""
    target = asset.revisions[revision]
    impacted: list[dict[str, Any]] = []
    for consumer_key, now_running in running.items():
        consumer = assets.get(consumer_key)
        if consumer is None or consumer_key == asset.key:
            continue
        consumer_revision = consumer.revisions.get(now_running.revision)
        if consumer_revision is None or asset.key not in consumer.producers_of(now_running.revision):
            continue
        used = consumer_revision.uses.get(asset.key, frozenset())
        issues = []
        if target.elements:
            for name in sorted(used - target.elements):
                issues.append(_element_issue(name, "MissingElement", consumer, asset))
        for name in sorted(used & target.incompatible):
            issues.append(_element_issue(name, "IncompatibleElement", consumer, asset))
        impacted.append(_app_report(consumer, now_running.revision, "Consumer", issues, []))
    for producer_key in asset.producers_of(revision):
        producer = assets.get(producer_key)
        if producer is not None and not producer.deployable and producer.revisions:
            impacted.append(_library_report(asset, target.uses.get(producer_key, frozenset()), producer))
        if producer is None or not producer.deployable:
            continue
        used = target.uses.get(producer_key, frozenset())
        there = running.get(producer_key)
        if there is None:
            app_issue = {
                "conflictType": "MissingApplication",
                "conflictSeverity": "Error",
                "hint": f"{producer.name} is not deployed in this stage; deploy it first.",
            }
            impacted.append(_app_report(producer, None, "Producer", [], [app_issue]))
            continue
        exposed = producer.revisions[there.revision].elements
        issues = []
        if exposed:
            for name in sorted(used - exposed):
                issues.append(_element_issue(name, "MissingElement", asset, producer))
        impacted.append(_app_report(producer, there.revision, "Producer", issues, []))
    severities = {
        issue["conflictSeverity"]
        for report in impacted
        for issue in [*report["elementLevelIssues"], *report["applicationLevelIssues"]]
    }
    status = (
        "ErrorsFound"
        if "Error" in severities
        else "WarningsFound"
        if "Warning" in severities
        else "NoIssuesFound"
    )
    return {"status": status, "impactedAssets": impacted[:MAX_IMPACTED_ASSETS]}


def _element_issue(name: str, conflict: str, consumer: Asset, producer: Asset) -> dict[str, Any]:
    """A removed element breaks its users (Error); a changed signature may (Warning)."""
    missing = conflict == "MissingElement"
    verb = "no longer exposes" if missing else "changed the signature of"
    return {
        "name": name,
        "type": "ServiceAction",
        "conflictType": conflict,
        "conflictSeverity": "Error" if missing else "Warning",
        "incompatibilityType": "MissingServiceAction" if missing else "InputParameterMismatch",
        "hint": f"{producer.name} {verb} {name}, used by {consumer.name}.",
    }


def _library_report(consumer: Asset, used: frozenset[str], library: Asset) -> dict[str, Any]:
    tagged = [r for r in library.revisions.values() if r.tag]
    released = (
        max(tagged, key=lambda r: tuple(int(p) for p in (r.tag or "0.0.0").split(".")))
        if tagged
        else library.latest
    )
    issues = []
    if released.elements:
        issues = [
            _element_issue(n, "MissingElement", consumer, library) for n in sorted(used - released.elements)
        ]
    return _app_report(library, released.number, "Producer", issues, [])


def _app_report(
    asset: Asset, revision: int | None, reference: str, element_issues: list[Any], app_issues: list[Any]
) -> dict[str, Any]:
    return {
        "revision": revision,
        "type": asset.type,
        "referenceType": reference,
        "elementLevelIssues": element_issues,
        "applicationLevelIssues": app_issues,
        "assetKey": asset.key,
    }
