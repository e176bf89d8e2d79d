"""Deployment operations started together on one stage queue up (odc-api-notes §11.6).

A queued operation answers ``Running`` from the start (the Status enum has nothing else), says
in its messages that it waits, and only begins its own duration when a slot of its stage frees.
"""

from __future__ import annotations

from .conftest import edited_tenant, keys


def _queued(per_stage):
    return edited_tenant(lambda data: data.update(deployment_queue={"per_stage": per_stage}))


def _redeploy(client, sim, asset, stage, source_stage="QA"):
    """Deploy to ``stage`` the revision and Release build that ``source_stage`` runs of ``asset``."""
    k = keys(sim)
    running = sim.state.running[k[source_stage]][k[asset]]
    return client.deployments.start(
        operation="Deploy",
        asset_key=k[asset],
        environment_key=k[stage],
        revision=running.revision,
        build_key=running.build_key,
    )


def test_one_slot_per_stage_runs_deploys_one_after_the_other(make_sim, make_client, clock):
    sim = make_sim(_queued(1))
    client = make_client(sim)
    first = _redeploy(client, sim, "Orders API", "Production")
    second = _redeploy(client, sim, "Orders Portal", "Production")
    assert (first.status, second.status) == ("Running", "Running")
    waiting = [m.message for m in client.deployments.messages(second.key)]
    assert waiting == [
        "Deploy of Orders Portal in Production is queued behind 1 other operation(s) in this stage."
    ]
    clock.advance(90)
    assert client.deployments.get(first.key).status == "Finished"
    assert client.deployments.get(second.key).status == "Running"
    assert sim.state.running_revision("Production", "Orders Portal") == 17
    clock.advance(90)
    done = client.deployments.get(second.key)
    assert done.status == "Finished"
    assert sim.state.running_revision("Production", "Orders Portal") == 19
    # startedDateTime is when the operation was accepted, so the wait shows in its duration
    assert (done.finished_date_time - done.started_date_time).total_seconds() == 180


def test_other_stages_do_not_wait(make_sim, make_client, clock):
    sim = make_sim(_queued(1))
    client = make_client(sim)
    _redeploy(client, sim, "Orders API", "Production")
    elsewhere = _redeploy(client, sim, "Orders Portal", "Development")
    clock.advance(90)
    assert client.deployments.get(elsewhere.key).status == "Finished"


def test_apply_configs_waits_in_the_same_queue(make_sim, make_client, clock):
    sim = make_sim(_queued(1))
    client = make_client(sim)
    k = keys(sim)
    _redeploy(client, sim, "Orders API", "Production")
    apply = client.deployments.start(
        operation="ApplyConfigs", asset_key=k["Orders Portal"], environment_key=k["Production"], revision=17
    )
    clock.advance(90)
    assert client.deployments.get(apply.key).status == "Running"
    clock.advance(30)
    assert client.deployments.get(apply.key).status == "Finished"


def test_slots_are_taken_first_come_first_served(make_sim, make_client, clock):
    sim = make_sim(_queued(2))
    client = make_client(sim)
    ops = [
        _redeploy(client, sim, name, "Production")
        for name in ("Orders API", "Orders Portal", "Orders Backoffice")
    ]
    clock.advance(90)
    assert [client.deployments.get(op.key).status for op in ops] == ["Finished", "Finished", "Running"]
    clock.advance(90)
    assert client.deployments.get(ops[2].key).status == "Finished"


def test_without_a_limit_every_deploy_starts_when_accepted(sim, make_client, clock):
    assert sim.tenant.deployment_queue.per_stage is None  # the example tenant's (documented) default
    client = make_client(sim)
    ops = [
        _redeploy(client, sim, name, "Production")
        for name in ("Orders API", "Orders Portal", "Orders Backoffice")
    ]
    assert all("queued" not in m.message for op in ops for m in client.deployments.messages(op.key))
    clock.advance(90)
    assert {client.deployments.get(op.key).status for op in ops} == {"Finished"}
