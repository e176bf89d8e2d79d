"""The producers graph is read once per graph, not once per app, whatever the tenant says.

UNDOC: whether each producer entry of ``GET …/producers`` carries its own ``producers``. The
simulator rehearses both answers (``dependency_graph.producer_references``); the deploy order
must be the same either way, and only the number of reads may differ.
"""

from __future__ import annotations

import pytest

from .e2e import EXAMPLES, simulated

PRODUCERS = "/producers"


@pytest.mark.parametrize(("references", "reads"), [("listed", 2), ("omitted", 3)])
def test_one_read_covers_the_producers_it_lists_and_the_order_is_the_same(tmp_path, references, reads):
    def edit(data):
        data["dependency_graph"] = {"producer_references": references}

    with simulated(tmp_path, edit) as sim:
        run = sim.run(EXAMPLES / "multi-asset-release.yml")
        assert run.report.exit_code == 0, run.report.error
        graph_reads = sim.requests(method="GET", contains=PRODUCERS)
        # three apps: Backoffice's graph (read first: the file lists consumers last) holds
        # Orders API with the revision this run deploys and its own producers, so API needs no
        # read of its own; Portal's is read. Without references every app is read.
        assert len(graph_reads) == reads
        names = {a.key: a.name for a in sim.simulator.state.assets.values()}
        deploys = sim.requests(method="POST", contains="/deployment-operations")
        order = [names[e.body["assetKey"]] for e in deploys]
        assert order.index("Orders API") < order.index("Orders Portal")
        assert order.index("Orders API") < order.index("Orders Backoffice")


def test_an_entry_at_another_revision_or_without_references_is_read_on_its_own():
    from types import SimpleNamespace as NS

    from odc_pipeline.platforms.base import AssetRef, ResolvedRevision
    from odc_pipeline.platforms.odc.resolve import producers_all

    graphs = {
        # top (r5) uses mid (listed at r3, the run deploys r4) and base (r2, as deployed)
        "top": [NS(key="mid", revision=3, producers=["base"]), NS(key="base", revision=2, producers=[])],
        "mid": [NS(key="base", revision=2, producers=[])],
        "side": [NS(key="lib", revision=1, producers=None)],
        "lib": [],
    }
    read: list[str] = []

    def producers(key, revision):
        read.append(key)
        return graphs[key]

    client = NS(dependencies=NS(producers=producers))
    run = [("base", 2), ("mid", 4), ("lib", 1), ("side", 7), ("top", 5)]
    found = producers_all(client, [(AssetRef(key=k, name=k), ResolvedRevision(number=n)) for k, n in run])
    assert found == {"base": [], "mid": ["base"], "lib": [], "side": ["lib"], "top": ["mid", "base"]}
    # top's graph answers base (same revision); mid is at another revision there and lib's
    # entry says nothing about its producers (null), so both are read
    assert read == ["top", "side", "lib", "mid"]
