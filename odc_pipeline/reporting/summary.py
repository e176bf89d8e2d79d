"""The Markdown run summary (GitHub job summary, Azure "Extensions" tab).

A reviewer approving the next promotion wants one table: every asset against every stage that
ran, with the revision that was running before and after and a link to the app. All text from
ODC goes through :func:`markdown_cell` so it cannot break the table or inject HTML/links.
"""

from __future__ import annotations

from collections.abc import Callable

from odc_pipeline.redaction import SECRETS, SecretRegistry
from odc_pipeline.report import RunReport, StepResult, StepStatus

from .escaping import markdown_cell
from .rollback import outcome_cell, rollbacks_by_asset, stage_state
from .table import asset_rows, revision_change, stages_that_ran

SUMMARY_LIMIT_BYTES = 1024 * 1024  # GitHub's per-step job summary limit

STATUS_ICONS: dict[str, str] = {
    StepStatus.SUCCEEDED: "✅",
    StepStatus.UNCHANGED: "⏺️",
    StepStatus.SKIPPED: "⏭️",
    StepStatus.PLANNED: "📝",
    StepStatus.WARNING: "⚠️",
    StepStatus.FAILED: "❌",
    StepStatus.BLOCKED: "⛔",
    StepStatus.TIMED_OUT: "⏱️",
    StepStatus.CANCELLED: "🚫",
    StepStatus.ROLLED_BACK: "↩️",
}

RUN_ICONS = {"succeeded": "✅", "planned": "📝", "cancelled": "🚫", "rolled-back": "↩️"}


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links, and nothing that could close the Markdown link early."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    if any(c in url for c in " <>()[]|\"'`\n\r"):
        return None
    return url


def _cell(step: StepResult | None) -> str:
    if step is None:
        return ""
    return f"{STATUS_ICONS.get(step.status, '')} {step.status}"


def render_summary(
    report: RunReport,
    *,
    secrets: SecretRegistry = SECRETS,
    limit_bytes: int = SUMMARY_LIMIT_BYTES,
) -> str:
    """GitHub-flavoured Markdown; stays under ``limit_bytes`` by cutting the details first."""

    def cell(text: str, limit: int = 1000) -> str:
        text = secrets.redact(text)
        return markdown_cell(text if len(text) <= limit else text[: limit - 1] + "…")

    stages = stages_that_ran(report)

    icon = RUN_ICONS.get(report.status, "❌" if report.exit_code else "✅")
    mode = " (plan)" if report.plan_only else ""
    lines = [f"### {icon} odc-pipeline → {cell(report.target)}{mode}: {cell(report.status)}", ""]
    state = stage_state(report)
    if state is not None:  # first: a reviewer must see a half-released stage before anything else
        alarm = "⚠️ " if state[0] != "Rolled back" else ""
        lines += [f"> {alarm}**{state[0]}**: {cell(state[1])}", ""]
    lines += [
        f"Exit code **{int(report.exit_code)}** · {report.duration_seconds:.1f} s"
        + (f" · impact analysis: {cell(report.impact_status)}" if report.impact_status else ""),
        "",
    ]
    if report.error:
        lines += [f"> {cell(report.error)}", ""]
    rollbacks = rollbacks_by_asset(report)
    extra = ["rollback"] if report.rollback is not None else []
    header = ["Asset", *stages, *extra, "Revision", "App"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    rows: list[str] = []
    for asset in asset_rows(report):
        url = _safe_url(secrets.redact(asset.url or ""))
        link = f"[open]({url})" if url else ""
        revision = asset.revision
        back = [outcome_cell(rollbacks.get(asset.name))] if extra else []
        row = [cell(asset.name), *(_cell(asset.steps.get(s)) for s in stages), *back, revision, link]
        rows.append("| " + " | ".join(row) + " |")
    omitted = "\n_Messages omitted (too long for the summary); see the report file._\n"
    table = _fit_table(lines, rows, limit_bytes - len(omitted.encode()))

    details: list[str] = []
    for step in report.steps:
        notes = [m for m in step.messages if m.severity in {"warning", "error"}]
        if not (notes or step.status.is_failure) or not (step.summary or notes):
            continue
        details.append(f"- **{cell(step.asset)}** · {step.stage}: {cell(step.summary)}")
        details.extend(f"  - {m.severity}: {cell(m.text)}" for m in notes[:20])
        if len(notes) > 20:
            details.append(f"  - … {len(notes) - 20} more in the report file")
    for rolled in rollbacks.values():
        details.append(f"- **{cell(rolled.asset)}** · rollback: {cell(rolled.summary)}")
        details.extend(
            f"  - {cell(v.name)}: {v.status}" + (f" ({cell(v.note)})" if v.note else "")
            for v in rolled.values
        )
        details.extend(f"  - {m.severity}: {cell(m.text)}" for m in rolled.messages[:20])
    table += plan_markdown(report, cell)
    if not details:
        return table
    block = "\n<details><summary>Messages</summary>\n\n" + "\n".join(details) + "\n\n</details>\n"
    if len((table + block).encode()) <= limit_bytes:
        return table + block
    return table + omitted


BUILD_WORDS = {"reuse": "reuse {key}", "start": "start a Release build", "none": "–"}
DEPLOY_WORDS = {"deploy": "deploy", "unchanged": "no deploy", "bundled": "bundled", "none": "–"}


def plan_markdown(report: RunReport, cell: Callable[[str], str]) -> str:
    """What a reviewer approves: per asset revision, build, deploy, configuration; deploy order."""
    plan = report.plan
    if not plan:
        return ""
    lines = ["", "#### Plan", "", "| Asset | Revision | Build | Deploy | Configuration changes |"]
    lines.append("|---|---|---|---|---|")
    for asset in plan.get("assets", ()):
        build = asset.get("build") or {}
        build_text = BUILD_WORDS.get(str(build.get("action")), "–").format(key=build.get("key") or "")
        revision = (
            f"bundled r{asset.get('revision_after')}"
            if asset.get("bundled")
            else revision_change(asset.get("revision_before"), asset.get("revision_after"))
        )
        changes = "<br>".join(
            cell(f"{c.get('name') if not c.get('owner') else c.get('owner') + '.' + str(c.get('name'))}: "
                 f"{c.get('before') if c.get('before') is not None else '(unset)'} → {c.get('after')}")
            for c in asset.get("configuration", ())
        )  # fmt: skip
        row = [
            cell(str(asset.get("asset"))),
            revision,
            cell(build_text),
            DEPLOY_WORDS.get(str(asset.get("deploy")), "–"),
            changes or "–",
        ]
        lines.append("| " + " | ".join(row) + " |")
    order = plan.get("deploy_order") or []
    if order:
        lines += ["", "Deploy order: " + " → ".join(cell(", ".join(level)) for level in order)]
    lines += [
        "",
        "Apply exactly this plan with `odc-pipeline run --from-plan` and this run's report file; "
        "it refuses (exit code 11) and changes nothing if the stage moved meanwhile.",
        "",
    ]
    return "\n".join(lines)


def _fit_table(head: list[str], rows: list[str], limit_bytes: int) -> str:
    """The table, cut after the last row that fits: an oversized summary is not shown at all."""
    text = "\n".join(head + rows) + "\n"
    if len(text.encode()) <= limit_bytes:
        return text
    note = "\n_{} more assets not shown (summary size limit); see the report file._\n"
    size = len(("\n".join(head) + "\n").encode()) + len(note.format(len(rows)).encode())
    kept: list[str] = []
    for row in rows:
        size += len(row.encode()) + 1
        if size > limit_bytes:
            break
        kept.append(row)
    return "\n".join(head + kept) + "\n" + note.format(len(rows) - len(kept))
