"""The simulated LifeTime's state and every change a request can make to it.

Built from a :class:`LifeTimeTenant`; handlers call these methods under :attr:`lock` after
:meth:`advance`, which applies what finished since the last request (a plan that ended
successfully makes its target run the deployed versions), in the order things finished.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from odc_pipeline.clock import Clock
from odc_pipeline.lifetime_simulator import conflicts, plans
from odc_pipeline.lifetime_simulator.model import (
    Application,
    ConfigItem,
    Environment,
    Module,
    Operation,
    Plan,
    Running,
    Version,
    Zone,
)
from odc_pipeline.lifetime_simulator.routing import LifeTimeError
from odc_pipeline.lifetime_simulator.tenant import (
    LifeTimeTenant,
    OutcomeSpec,
    ServiceAccount,
    application_key,
    config_key,
    environment_key,
    module_key,
    version_key,
    zone_key,
)
from odc_pipeline.simulator.tenant import derive_key

COMMANDS = ("start", "continue", "abort")


class LifeTimeState:
    def __init__(self, tenant: LifeTimeTenant, clock: Clock) -> None:
        self.tenant = tenant
        self.clock = clock
        self.lock = threading.RLock()
        self.durations = tenant.durations
        self.undoc = tenant.undoc
        self.tokens: dict[str, ServiceAccount] = {tenant.token(a): a for a in tenant.service_accounts}
        self.environments: dict[str, Environment] = {}
        for index, spec in enumerate(tenant.environments):
            key = environment_key(spec)
            zones = [Zone(zone_key(spec, z), z.name, z.default, z.technology) for z in spec.deployment_zones]
            self.environments[key] = Environment(
                key,
                spec.name,
                spec.order if spec.order is not None else index,
                spec.host_name,
                spec.type,
                spec.two_step_deployment,
                spec.use_https,
                spec.os_version,
                spec.front_ends,
                zones,
                maintenance=spec.maintenance_mode,
            )
        self.env_by_name = {e.name: e for e in self.environments.values()}
        self.applications: dict[str, Application] = {}
        self.running: dict[str, dict[str, Running]] = {k: {} for k in self.environments}
        self.config: dict[str, ConfigItem] = {}
        self._load_applications(tenant)
        self.outcomes: list[tuple[OutcomeSpec, list[int]]] = [(o, [0]) for o in tenant.outcomes]
        self.plans: dict[str, Plan] = {}

    def _load_applications(self, tenant: LifeTimeTenant) -> None:
        names = {a.name: application_key(a) for a in tenant.applications}
        origin = self.clock.now() - timedelta(days=len(tenant.applications) + 30)
        for spec in tenant.applications:
            key = names[spec.name]
            modules = [Module(module_key(spec, m), m.name, m.kind, m.description, key) for m in spec.modules]
            versions: dict[str, Version] = {}
            for index, v in enumerate(spec.versions):
                created = (
                    datetime.fromisoformat(v.created_on.replace("Z", "+00:00"))
                    if v.created_on
                    else origin + timedelta(days=index)
                )
                vkey = version_key(spec, v)
                versions[vkey] = Version(
                    vkey,
                    key,
                    v.version,
                    v.change_log,
                    created,
                    "tenant file",
                    {m.key: derive_key("lifetime-module-version", vkey, m.key) for m in modules},
                    breaking=v.breaking,
                )
            blocked = {self.env_by_name[n].key: "Blocked in the tenant file." for n in spec.blocked_in}
            self.applications[key] = Application(
                key,
                spec.name,
                spec.kind,
                spec.team,
                spec.description,
                spec.url_path or spec.name,
                spec.is_system,
                [names[p] for p in spec.depends_on],
                modules,
                versions,
                blocked,
            )
            by_label = {v.version: v.key for v in versions.values()}
            for env_name in spec.running:
                entry = spec.running_in(env_name)
                if entry is None:
                    continue
                env = self.env_by_name[env_name]
                zone = next((z for z in env.zones if z.name == entry.zone), None) or env.default_zone()
                self.running[env.key][key] = Running(
                    by_label[entry.version], entry.modified, zone.key if zone else ""
                )
            for m_spec, module in zip(spec.modules, modules, strict=True):
                for item in m_spec.configuration:
                    ckey = config_key(spec, m_spec, item)
                    values = {self.env_by_name[n].key: v for n, v in item.values.items()}
                    self.config[ckey] = ConfigItem(
                        ckey, item.name, item.kind, module.key, item.default, values
                    )

    # ------------------------------------------------------------------ lookups

    def account(self, authorization: str | None) -> ServiceAccount | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.tokens.get(token.strip())

    def revoke_tokens(self) -> dict[str, str]:
        """Issue a new token to every service account (old ones are refused from now on)."""
        with self.lock:
            fresh = {uuid.uuid4().hex: account for account in self.tokens.values()}
            self.tokens = fresh
            return {account.name: token for token, account in fresh.items()}

    def token_of(self, account_name: str) -> str:
        return next(t for t, a in self.tokens.items() if a.name == account_name)

    def can_use(self, account: ServiceAccount, env_key: str) -> bool:
        return account.environments is None or self.environments[env_key].name in account.environments

    def environment(self, key: str, account: ServiceAccount) -> Environment:
        env = self.environments.get(key)
        if env is None:
            raise LifeTimeError(404, f"Environment with key {key} not found.")
        if not self.can_use(account, key):
            raise LifeTimeError(403, f"The service account has no permissions in environment {env.name}.")
        return env

    def application(self, key: str) -> Application:
        app = self.applications.get(key)
        if app is None:
            raise LifeTimeError(404, f"Application with key {key} not found.")
        return app

    def version(self, app: Application, key: str) -> Version:
        version = app.versions.get(key)
        if version is None or (self.undoc.unprocessed_version == "not_found" and not self.usable(version)):
            raise LifeTimeError(404, f"Application version with key {key} not found.")
        return version

    def usable(self, version: Version) -> bool:
        return version.usable(self.clock.monotonic(), self.durations.tag_processing)

    def version_of(self, version_key: str) -> tuple[Application, Version] | None:
        for app in self.applications.values():
            if version_key in app.versions:
                return app, app.versions[version_key]
        return None

    def in_use(self, version: Version) -> bool:
        if any(r.version_key == version.key for env in self.running.values() for r in env.values()):
            return True
        return any(op.version_key == version.key for plan in self.plans.values() for op in plan.operations)

    # ------------------------------------------------------------------ tags

    def tag(self, env: Environment, app: Application, label: str, change_log: str, who: str) -> Version:
        running = self.running[env.key].get(app.key)
        if running is None:
            raise LifeTimeError(404, f"Application {app.name} does not run in environment {env.name}.")
        if not label.strip():
            raise LifeTimeError(400, "Version is required.")
        if any(v.version == label for v in app.versions.values()):
            raise LifeTimeError(400, f"Version {label} already exists for application {app.name}.")
        key = str(uuid.uuid4())
        version = Version(
            key,
            app.key,
            label,
            change_log,
            self.clock.now(),
            who,
            {m.key: str(uuid.uuid4()) for m in app.modules},
            created_t=self.clock.monotonic(),
        )
        app.versions[key] = version
        self.running[env.key][app.key] = Running(key, False, running.zone_key)
        return version

    # ------------------------------------------------------------------ plans

    def operations(
        self, body: dict, account: ServiceAccount
    ) -> tuple[Environment, Environment, list[Operation]]:
        """Checks shared by create and update; ``body`` already matches the swagger."""
        source = self.environments.get(body["SourceEnvironmentKey"])
        target = self.environments.get(body["TargetEnvironmentKey"])
        if source is None or target is None:
            raise LifeTimeError(404, "Source or target environment not found.")
        for env in (source, target):
            if not self.can_use(account, env.key):
                raise LifeTimeError(403, "Invalid user permissions.")
        operations: list[Operation] = []
        seen: set[str] = set()
        for item in body["ApplicationOperations"] or ():
            vkey = item.get("ApplicationVersionKey") or ""
            found = self.version_of(vkey)
            if found is None:
                raise LifeTimeError(400, f"Invalid request. Application version {vkey} not found.")
            app, version = found
            if not self.usable(version):
                raise LifeTimeError(
                    400, f"Application version {version.version} of {app.name} is still being processed."
                )
            if app.key in seen:
                raise LifeTimeError(400, f"Invalid request. Application {app.name} is in the plan twice.")
            seen.add(app.key)
            zone = item.get("DeploymentZoneKey") or ""
            if zone and zone not in {z.key for z in target.zones}:
                raise LifeTimeError(
                    400, f"Invalid request. Deployment zone {zone} not found in {target.name}."
                )
            operations.append(Operation(vkey, zone))
        return source, target, operations

    def create_plan(self, body: dict, account: ServiceAccount) -> Plan:
        source, target, operations = self.operations(body, account)
        now = self.clock.now()
        plan = Plan(
            str(uuid.uuid4()), source.key, target.key, body["Notes"] or "", operations, now, account.name, now
        )
        self.plans[plan.key] = plan
        return plan

    def plan(self, key: str, account: ServiceAccount) -> Plan:
        plan = self.plans.get(key)
        if plan is None:
            raise LifeTimeError(404, f"Deployment with key {key} not found.")
        if not self.can_use(account, plan.target_key):
            raise LifeTimeError(
                403, f"Service Account doesn't have permissions to the deployment with key {key}."
            )
        return plan

    def segments(self, plan: Plan) -> list[plans.Segment]:
        return plans.timeline(plan, self.durations, self._free_at)

    def _free_at(self, key: str) -> float | None:
        return plans.release(self.segments(self.plans[key]))

    def status(self, plan: Plan) -> plans.Segment:
        return plans.current(self.segments(plan), self.clock.monotonic())

    def findings(self, plan: Plan) -> list[conflicts.Conflict]:
        target = self.environments[plan.target_key]
        return conflicts.analyse(
            plan,
            self.applications,
            self.running[plan.target_key],
            target.name,
            older_allowed=self.undoc.older_version == "allowed",
        )

    def command(self, plan: Plan, command: str, *, redeploy_outdated: bool, account: ServiceAccount) -> None:
        now_t, now = self.clock.monotonic(), self.clock.now()
        status = self.status(plan)
        target = self.environments[plan.target_key]
        refused = LifeTimeError(400, f"Command {command} can't be executed for deployment {plan.key}.")
        if command == "start":
            if status.status != plans.SAVED or not plan.operations or target.maintenance:
                raise refused
            findings = self.findings(plan)
            blocking = [f for f in findings if not (redeploy_outdated and f.redeploy_key)]
            if blocking:
                raise LifeTimeError(400, f"{refused.message} {blocking[0].message}")
            plan.redeploy_keys = [f.redeploy_key for f in findings if f.redeploy_key]
            plan.redeploy_outdated = redeploy_outdated
            plan.two_step = target.two_step
            plan.waits_for = self._holder(plan.target_key, now_t)
            plan.outcome, plan.outcome_message, plan.partly_deployed = self._outcome(plan)
            plan.started_t, plan.started_at, plan.started_by = now_t, now, account.name
        elif command == "continue":
            if status.status != plans.NEEDS_INTERVENTION or target.maintenance:
                raise refused
            plan.continues.append(now_t)
        else:  # abort: "until the moment before staging begins to be deployed on the platform server"
            in_stage_two = status.status == plans.RUNNING and status.message.startswith("Deploying")
            if status.status not in (plans.RUNNING, plans.NEEDS_INTERVENTION) or in_stage_two:
                raise refused
            plan.abort_t, plan.aborted_at, plan.aborted_by = now_t, now, account.name

    def _holder(self, target_key: str, now_t: float) -> str | None:
        """The latest started plan to ``target_key`` that has not ended: this one waits for it."""
        started = [p for p in self.plans.values() if p.target_key == target_key and p.started_t is not None]
        for other in sorted(started, key=lambda p: p.started_t or 0.0, reverse=True):
            end = plans.release(self.segments(other))
            if end is None or end > now_t:
                return other.key
        return None

    def _outcome(self, plan: Plan) -> tuple[str, str | None, list[str]]:
        target = self.environments[plan.target_key].name
        labels = {}
        for op in plan.operations:
            found = self.version_of(op.version_key)
            if found:
                labels[found[0].name] = found[1].version
        for spec, used in self.outcomes:
            if spec.environment != target or (spec.times is not None and used[0] >= spec.times):
                continue
            if spec.application is not None and spec.application not in labels:
                continue
            if spec.version is not None and labels.get(spec.application or "") != spec.version:
                continue
            used[0] += 1
            return spec.result, spec.message, [n for n in spec.deployed if n in labels]
        return plans.SUCCESSFUL, None, []

    def advance(self) -> None:
        """Apply every plan that finished by now, in the order they finished."""
        now_t = self.clock.monotonic()
        done = []
        for plan in self.plans.values():
            if plan.applied or plan.started_t is None:
                continue
            segments = self.segments(plan)
            end = plans.release(segments)
            if end is not None and end <= now_t:
                done.append((end, plan, plans.current(segments, now_t).status))
        for _, plan, status in sorted(done, key=lambda d: d[0]):
            plan.applied = True
            partly = status in plans.FAILED and bool(plan.partly_deployed) and plan.abort_t is None
            if status not in plans.APPLIES and not partly:
                continue
            running = self.running[plan.target_key]
            target = self.environments[plan.target_key]
            default = target.default_zone()
            for op in plan.operations:
                app, _ = self.version_of(op.version_key) or (None, None)
                if app is None or (partly and app.name not in plan.partly_deployed):
                    continue
                previous = running.get(app.key)
                zone = op.zone_key or (previous.zone_key if previous else (default.key if default else ""))
                running[app.key] = Running(op.version_key, False, zone)
            for consumer_key in [] if partly else plan.redeploy_keys:
                if consumer_key in running:
                    running[consumer_key].modified = False

    # ------------------------------------------------------------------ Properties API

    def set_config(
        self, module_key: str, env_key: str, kind: str, item_key: str, value: str
    ) -> tuple[bool, str]:
        """Apply a value; ``(False, reason)`` when the module has no such item of that kind."""
        if not any(m.key == module_key for a in self.applications.values() for m in a.modules):
            raise LifeTimeError(404, f"Module with key {module_key} not found.")
        if env_key not in self.environments:
            raise LifeTimeError(404, f"Environment with key {env_key} not found.")
        item = self.config.get(item_key)
        if item is None or item.module_key != module_key or item.kind != kind:
            return False, f"The module has no {kind} with key {item_key}."
        item.values[env_key] = value
        return True, ""

    def config_value(self, module: str, env: str, name: str) -> str | None:
        """The effective value of a module's configuration item by names (for tests and demos)."""
        env_key = self.env_by_name[env].key
        for item in self.config.values():
            owner = next(m for a in self.applications.values() for m in a.modules if m.key == item.module_key)
            if owner.name == module and item.name == name:
                return item.values.get(env_key, item.default)
        return None

    def running_version(self, env: str, app: str) -> str | None:
        """The version label ``app`` runs in ``env`` (by names; for tests and demos)."""
        env_key = self.env_by_name[env].key
        found = next((a for a in self.applications.values() if a.name == app), None)
        running = self.running[env_key].get(found.key) if found else None
        return found.versions[running.version_key].version if found and running else None
