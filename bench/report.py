"""The Markdown table appended to bench/RESULTS.md, and the latency-vs-items plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.generate import scale_name

TARGETS = (
    "SQLite aggregated list >= 0.15 of ceiling with p99 <= 3x p50; contexts listing >= 0.25; "
    "PostgreSQL aggregated list >= 0.05; SQLite PUT >= 2,000/s; p50 at 1M <= 1.25x p50 at "
    "10k; RSS <= 200 MB per worker; item PUT/s with platform webhooks on >= 0.8x off; "
    "session_changed write -> receipt p50 <= 100 ms"
)


def _row(row: dict[str, Any], label: str = "") -> str:
    scenario = f"{row['scenario']}{label}"
    return (
        f"| {scenario} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | "
        f"{row['p99_ms']:.2f} | {row['p99_ms'] / max(row['p50_ms'], 1e-9):.1f} | "
        f"{row['ceiling_rps']:,.0f} | {row['ratio']:.3f} | {row['body_bytes']:,} | "
        f"{row['errors']} |"
    )


def _scenario_table(database: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | p99/p50 | ceiling req/s | ratio | body bytes "
        "| errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    before = {row["scenario"]: row for row in database.get("before") or []}
    for row in database["rows"]:
        if row["scenario"] in before:
            lines.append(_row(before[row["scenario"]], ", before"))
            lines.append(_row(row, ", after"))
        else:
            lines.append(_row(row))
    return lines


def _webhooks(hooks: dict[str, Any] | None) -> str:
    if hooks is None:
        return "not measured"
    if not hooks.get("available"):
        return f"not measured: {hooks.get('why')}"
    timing = (
        f"hide -> receipt p50 {hooks['p50_ms']:.1f} ms, p99 {hooks['p99_ms']:.1f} ms"
        if "p50_ms" in hooks
        else "no delivery arrived"
    )
    backlog = (
        f"; first, the {hooks['backlog']} events queued by the hide scenario while no app had "
        f"a URL drained at {hooks['backlog_per_s']:.0f} deliveries/s"
        if hooks.get("backlog")
        else ""
    )
    return (
        f"{timing} ({hooks['samples']} sequential hides on an idle queue, {hooks['lost']} not "
        f"received in 5 s); {hooks['deliveries_per_s']:.0f} deliveries/s "
        f"({hooks['delivered']} events from {hooks['burst_requests']} hide/unhide requests at "
        f"32 in flight){backlog}"
    )


def _platform_webhooks(hooks: dict[str, Any] | None) -> list[str]:
    """The platform webhook (session_changed) lines of a database's section."""
    if hooks is None:
        return ["- Platform webhooks: not measured"]
    if not hooks.get("available"):
        return [f"- Platform webhooks: not measured: {hooks.get('why')}"]
    off, on = hooks["put_off"], hooks["put_on"]

    def put(row: dict[str, Any]) -> str:
        return (
            f"{row['rps']:,.0f} req/s (p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms, "
            f"{row['errors']} errors)"
        )

    if "p50_ms" in hooks:
        timing = (
            f"p50 {hooks['p50_ms']:.1f} ms, p99 {hooks['p99_ms']:.1f} ms from the PUT's answer "
            f"(p50 {hooks['p50_ms_from_request']:.1f} ms, p99 "
            f"{hooks['p99_ms_from_request']:.1f} ms from sending it)"
        )
    else:
        timing = "no delivery arrived"
    queued = ""
    if "put_queued" in hooks:
        held = (
            "nothing sent"
            if not hooks.get("queued_sent")
            else f"yet {hooks['queued_sent']:,} sent: a secret was kept by --reuse"
        )
        queued = (
            f"; URL but no secret yet (events queued and coalesced, {held}) "
            f"{put(hooks['put_queued'])}, {hooks['put_queued_ratio']:.2f} of off"
        )
    return [
        f"- Platform webhooks, item PUT: off {put(off)}{queued}; on {put(on)}; on/off "
        f"{hooks['put_ratio']:.2f}. The {hooks['put_on_deliveries']:,} session_changed "
        f"deliveries since the secrets were set had all arrived {hooks['drain_s']} s after the "
        "on run ended"
        + (
            ""
            if hooks.get("drained", True)
            else " (still going: the timings below are not on an idle queue)"
        ),
        f"- Platform webhooks, session_changed write -> receipt on an idle queue: {timing} "
        f"({hooks['samples']} sequential item PUTs to {hooks['sessions_timed']} sessions quiet "
        f"for over a second, {hooks['lost']} not received in 5 s)",
        f"- Platform webhooks, deliveries: {hooks['deliveries_per_s']:.0f}/s "
        f"({hooks['delivered']:,} session_changed to {hooks['delivered_sessions']:,} sessions "
        f"from {hooks['burst_writes']:,} item PUTs to distinct contexts at 32 in flight, sent "
        f"in {hooks['burst_seconds']} s"
        + (
            ""
            if hooks["burst_written"] == hooks["burst_writes"]
            else f", {hooks['burst_writes'] - hooks['burst_written']} of them not answered 200"
        )
        + ")",
    ]


def markdown(run: dict[str, Any], plot: str) -> str:
    title = f"## {run['date']}" + (f" - {run['label']}" if run["label"] else "")
    versions = ", ".join(f"{k} {v}" for k, v in run["versions"].items())
    lines = [
        title,
        "",
        f"- Machine: {run['machine']}",
        f"- Versions: {versions}",
        f"- Server (UpNext and ceiling alike): {run['settings']['server']}",
        f"- Load: {run['settings']['load']}; seed {run['settings']['seed']}",
        f"- Targets: {TARGETS}",
        f"- Whole run: {run['minutes']} min",
        "",
    ]
    for database in run["databases"]:
        data = database["data"]
        shape = (
            f"{data['contexts']:,} contexts, {data['sessions']:,} sessions, generated in "
            f"{data['seconds']} s"
            if data.get("generated")
            else "data set reused"
        )
        rss = ", ".join(f"{mb:.0f}" for mb in database["peak_rss_mb"])
        lines += [
            f"### {database['database']}, {scale_name(data['items'])} items ({shape})",
            "",
            *_scenario_table(database),
            "",
            f"- Peak RSS per worker: {rss} MB",
            f"- Start-up work before measuring (the purge job's first scan): "
            f"{database.get('settled_s', 0)} s",
            f"- Publisher webhooks: {_webhooks(database['webhooks'])}",
            *_platform_webhooks(database.get("platform_webhooks")),
            "",
        ]
    if run["growth"]:
        lines += [
            "### Growth: aggregated list on SQLite",
            "",
            "| items stored | req/s | p50 ms | p90 ms | p99 ms | start-up work s |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for point in run["growth"]:
            lines.append(
                f"| {scale_name(point['items'])} | {point['rps']:,.0f} | {point['p50_ms']:.2f} | "
                f"{point['p90_ms']:.2f} | {point['p99_ms']:.2f} | {point.get('settled_s', 0)} |"
            )
        first, last = run["growth"][0], run["growth"][-1]
        lines += [
            "",
            f"p50 at {scale_name(last['items'])} / p50 at {scale_name(first['items'])}: "
            f"{last['p50_ms'] / first['p50_ms']:.2f}",
            "",
            f"![latency vs stored items]({plot})",
            "",
        ]
    return "\n".join(lines) + "\n"


def plot(run: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = run["growth"]
    xs = [p["items"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for key, label in (("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99")):
        ax.plot(xs, [p[key] for p in points], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xticks(xs, [scale_name(x) for x in xs])
    ax.set_xlabel("items stored")
    ax.set_ylabel("latency (ms)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Aggregated list, SQLite, wrk -c32 ({run['date']})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(run: dict[str, Any], results: Path) -> None:
    image = results.parent / "latency-vs-items.png"
    if run["growth"]:
        plot(run, image)
    if not results.exists():
        results.write_text(
            "# Benchmark results\n\nEach `make bench` run appends a section "
            "(see bench/README.md for what is measured and how).\n\n"
        )
    with results.open("a") as out:
        out.write(markdown(run, image.name))
