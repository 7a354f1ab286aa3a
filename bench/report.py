"""docs/benchmarks.md from the results of bench/run.py."""

from __future__ import annotations

import itertools
from typing import Any

from common import Sample
from targets import noise_note, summary, targets

__all__ = ["render", "summary"]


def _iqr(sample: Sample, scale: float = 1.0, fmt: str = "{:.1f}") -> str:
    lo, hi = sample.quartiles()
    return f"{fmt.format(lo * scale)}–{fmt.format(hi * scale)}"


def _ratio(sample: Sample | None) -> str:
    """A per-round ratio: its median, then its IQR."""
    if sample is None:
        return "n/a"
    return f"{sample.median:.3f}× ({_iqr(sample, 1, '{:.2f}')})"


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    out: list[str] = []
    add = out.append
    add("# Benchmarks")
    add("")
    add(
        f"Measured {results['date']} by `make bench` (`bench/run.py`, profile `{results['profile']}`, "
        f"{results['seconds']:.0f} s in all). This file is written by the bench: re-run it rather than edit. "
        "Every comparison below was made within this one run, as a ratio, because absolute times drift on "
        "these shared machines; the absolute numbers are only for orientation."
    )
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("| --- | --- |")
    gw = m.get("gewechat") or {}
    for key, value in (
        ("CPU", m["cpu"]),
        ("cores", m["cores"]),
        ("OS", m["os"]),
        ("Python", m["python"]),
        ("httpx / httpcore", f"{m['httpx']} / {m['httpcore']}"),
        ("aiohttp / httpx-aiohttp", f"{m['aiohttp']} / {m['httpx_aiohttp']}"),
        ("gewe-sdk", m["sdk"]),
        ("openapi-python-client", m["openapi_python_client"]),
        ("spec sha256 (openapi/gewe.yaml)", f"`{m['spec_sha256']}`"),
        ("spec sha256 the generated package was built from", f"`{m['generated_spec_sha256']}`"),
        (
            "gewechat-client / requests (.bench/venv)",
            f"{gw.get('gewechat-client', 'n/a')} / {gw.get('requests', 'n/a')}",
        ),
        ("opengewe / its aiohttp (.bench/opengewe)", " / ".join((m.get("opengewe") or {}).values()) or "n/a"),
        ("commit", m["commit"]),
        ("load average before / after", f"{m['load_before'][0]:.2f} / {m['load_after'][0]:.2f} (1 min)"),
    ):
        add(f"| {key} | {value} |")
    add("")
    add("## Targets")
    add("")
    add(
        "Each figure is the median of per-round values from interleaved rounds (ratios against the floor "
        "or peer of the same round), with its spread over those rounds."
    )
    add("")
    add("| target | wanted | measured | spread (IQR; range) | result |")
    add("| --- | --- | --- | --- | --- |")
    for t in targets(results):
        add(f"| {t.what} | {t.wanted} | {t.measured} | {t.spread} | **{t.result}** |")
    add("")
    note = noise_note(results)
    if note:
        add(note)
        add("")
    for key, section in (
        ("sync", _sync_section),
        ("short", _short_section),
        ("async", _async_section),
        ("imports", _import_section),
        ("builds", _generation_section),
        ("images", _images_section),
    ):
        if key in results:
            section(results, add)
    _method_section(results, add)
    return "\n".join(out) + "\n"


def _sync_section(results: dict[str, Any], add: Any) -> None:
    sync = results["sync"]
    from percall import SYNC_LABELS

    add("## 1. Sync per-call cost")
    add("")
    add(
        "One `POST /gewe/v2/api/group/getChatroomQrCode` with the same JSON body, answered by the loopback "
        "server "
        f"with the seed's reply ({_reply_note(results)}). {sync.rounds} interleaved rounds of {sync.calls} "
        "calls per "
        "contender; medians over rounds, ratios taken per round against raw httpx and urllib3 of the same "
        "round (median, then IQR in brackets). CPU is the client process's CPU time (less sensitive to "
        "the load of other processes)."
    )
    add("")
    add("| contender | wall µs/call (median) | IQR | ratio to raw httpx | ratio to urllib3 | CPU µs/call |")
    add("| --- | ---: | ---: | ---: | ---: | ---: |")
    for mode, label in SYNC_LABELS.items():
        res = sync.results.get(mode)
        if res is None:
            add(f"| {label} | n/a | | | | |")
            continue
        add(
            f"| {label} | {res.wall.median * 1e6:.1f} | {_iqr(res.wall, 1e6)} "
            f"| {_ratio(res.ratios.get('raw'))} | {_ratio(res.ratios.get('urllib3'))} "
            f"| {res.cpu.median * 1e6:.1f} |"
        )
    for mode, why in sync.skipped.items():
        add(f"\n{SYNC_LABELS[mode]} was not measured: {why}")
    _strict_note(results, add)
    _debug_note(results, add)
    if results.get("gewechat_note"):
        add(f"\ngewechat-client: {results['gewechat_note']}")
    add("")
    lazy, detail = results["lazy"]
    add(
        f"**Lazy image decoding:** {'yes' if lazy else 'NO'} — {detail}. So the SDK's reply parsing is the "
        "envelope "
        "checks plus two small attrs objects (`GroupGetChatroomQrCodeData`, `GroupQrCode`); the raw floor is "
        "`.json()` only, and the stock generated function parses `.json()` into its `Response` and `Data` "
        "models."
    )
    add("")
    layers = [(name, us) for name, us in results["layers"] if us is not None]
    add("### Where the SDK's time goes (no network)")
    add("")
    if len(layers) >= 2:
        (_, raw_us), (_, sdk_us) = layers[0], layers[-1]
        add(
            "Every layer over the same `httpx.MockTransport` (no sockets; httpx's own work is the same in "
            f"each), interleaved rounds, medians: **the SDK adds {sdk_us - raw_us:.1f} µs per call** to "
            f"raw httpx's {raw_us:.1f} µs ({sdk_us / raw_us:.3f}× without a network; over the loopback "
            "socket above the same µs are a smaller share). A `MockTransport` is a transport of the "
            "user's, so these clients take the httpx route (a prebuilt `httpx.Request` handed to it); "
            "the default route, straight to httpcore's pool, is what the socket figures above measure."
        )
        add("")
    add("| layer (each adds one piece to the one above) | µs/call | adds |")
    add("| --- | ---: | ---: |")
    previous: float | None = None
    for name, us in results["layers"]:
        if us is None:
            add(f"| {name} | n/a | |")
            continue
        step = "" if previous is None else f"{us - previous:+.1f}"
        add(f"| {name} | {us:.1f} | {step} |")
        previous = us
    add("")


def _strict_note(results: dict[str, Any], add: Any) -> None:
    """What checking replies against the spec costs: strict vs default, and the checks themselves."""
    sync, checks = results["sync"], results.get("checks")
    if sync.strict_ratio is None or checks is None:
        return
    sdk_us = sync.results["sdk"].wall.median * 1e6
    cost = checks["checked"] - checks["unchecked"]
    add("")
    add(
        f"**Checking replies against the spec:** `GeweClient(strict=True)` per call is "
        f"**{sync.strict_ratio.median:.3f}×** the default client's (median of per-round ratios, IQR "
        f"{_iqr(sync.strict_ratio, 1, '{:.3f}')}): both run the same generated `isinstance` checks, and "
        "strict only differs when a reply breaks the spec. The checks themselves, reading this reply's "
        f"`data` into its model: {checks['checked']:.2f} µs with them, {checks['unchecked']:.2f} µs "
        f"without (`report=None`, only the guards that keep parsing safe), so **{cost:.2f} µs per call**, "
        f"{cost / sdk_us:.3%} of the SDK's {sdk_us:.1f} µs per call over the socket."
    )


def _debug_note(results: dict[str, Any], add: Any) -> None:
    """What DEBUG logging costs: the same sender, plus its log lines."""
    sync = results["sync"]
    if sync.debug_ratio is not None:
        add("")
        spread = _iqr(sync.debug_ratio, 1, "{:.3f}")
        add(
            f"**DEBUG logging:** with the `gewe` logger at DEBUG (written to /dev/null) a call is "
            f"**{sync.debug_ratio.median:.3f}×** the default client's (IQR {spread}): "
            "the sender is chosen when the client is built, so DEBUG adds its log lines, not another stack."
        )


def _reply_note(results: dict[str, Any]) -> str:
    if "images" in results:
        _cases, b64_chars, jpeg_bytes = results["images"]
    else:  # `bench/run.py --per-call` measures section 1 only
        import base64
        import json

        from common import seed_reply_bytes

        qr = json.loads(seed_reply_bytes())["data"]["qrBase64"]
        b64_chars, jpeg_bytes = len(qr), len(base64.b64decode(qr))
    return f"6.8 kB of JSON: a {jpeg_bytes:,}-byte 440×440 QR JPEG as {b64_chars:,} base64 characters"


def _async_section(results: dict[str, Any], add: Any) -> None:
    asy = results["async"]
    from percall import ASYNC_LABELS, CONCURRENCY, SLOW_ROUNDS

    add("## 2. Async bursts")
    add("")
    add(
        f"{asy.calls:,} calls started at once (`asyncio.gather`) on one client, against the same loopback "
        f"server. *Cold*: a fresh client per burst (built untimed), {asy.rounds['cold']} rounds; *warm*: the "
        f"same client, after an untimed 100-call burst, {asy.rounds['warm']} rounds. Rounds interleave the "
        "contenders; ratios are taken per round against raw aiohttp of the same round, then the median."
    )
    add("")
    for kind, title, calls in (
        ("cold", "Cold (fresh client)", asy.calls),
        ("warm", "Warm", asy.calls),
        ("cold-big", f"Cold, {asy.big:,} calls at once", asy.big),
        ("warm-big", f"Warm, {asy.big:,} calls at once", asy.big),
    ):
        if kind not in asy.kinds:
            continue
        add(f"### {title}")
        add("")
        add(
            f"| contender | s per {calls:,} calls (median) | IQR | ratio to aiohttp | ratio to opengewe "
            "| calls/s | CPU s | failed |"
        )
        add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for mode, label in ASYNC_LABELS.items():
            res = asy.kinds[kind].get(mode)
            if res is None:
                continue
            add(
                f"| {label} | {res.wall.median:.3f} | {_iqr(res.wall, 1, '{:.3f}')} "
                f"| {_ratio(res.ratios.get('async-aiohttp'))} | {_ratio(res.ratios.get('async-opengewe'))} "
                f"| {calls / res.wall.median:,.0f} | {res.cpu.median:.3f} | {asy.failed[kind][mode]} |"
            )
        add("")
    add(
        "Raw httpx and the SDK on httpcore's pool take seconds per burst: they run in the first "
        f"{SLOW_ROUNDS} rounds only (ratios against the floor of those rounds), and not in the large bursts."
    )
    add("")
    add("### Calls/s by concurrency (warm)")
    add("")
    add(
        f"{asy.calls:,} calls per round shared by C tasks, each making its calls one after another, "
        f"{asy.rounds['conc']} rounds; calls/s from the median time, ratio to aiohttp as above."
    )
    add("")
    add("| contender | " + " | ".join(f"C = {c:,}" for c in CONCURRENCY) + " |")
    add("| --- |" + " ---: |" * len(CONCURRENCY))
    for mode, label in ASYNC_LABELS.items():
        cells = []
        for c in CONCURRENCY:
            res = asy.kinds[f"c{c}"].get(mode)
            if res is None or res.ratio is None:
                cells.append("n/a")
                continue
            bad = asy.failed[f"c{c}"][mode]
            note = f", {bad} failed" if bad else ""
            cells.append(f"{asy.calls / res.wall.median:,.0f} ({res.ratio.median:.2f}×{note})")
        add(f"| {label} | " + " | ".join(cells) + " |")
    for mode, why in asy.skipped.items():
        add(f"\n{ASYNC_LABELS[mode]} was not measured: {why}")
    if results.get("opengewe_note"):
        add(f"\nopengewe: {results['opengewe_note']}")
    mock = results.get("async_mock")
    if mock:
        raw_s, sdk_s = Sample(mock["async-raw"]), Sample(mock["async-sdk"])
        add("")
        add(
            f"Without sockets: the same {asy.calls:,} concurrent calls over `httpx.MockTransport`, raw "
            f"`httpx.AsyncClient` {raw_s.median:.3f} s, `AsyncGeweClient` {sdk_s.median:.3f} s "
            f"({sdk_s.median / raw_s.median:.3f}×): the clients' own work per call, with no transport."
        )
    add("")
    add(
        "`failed` counts calls that raised (timeouts included). Raw httpx gets a 300 s pool timeout so "
        "that its bursts finish: with httpx's 5 s default its first burst fails with `PoolTimeout`. The "
        "SDK rows use the client's defaults (30 s timeouts, `max_connections=100`). opengewe runs in its "
        "own venv (`bench/requirements-opengewe.txt`); it calls aiohttp directly."
    )
    add("")


def _import_section(results: dict[str, Any], add: Any) -> None:
    bench = results["imports"]
    imp = bench.builds
    builds = results["builds"]
    add("## 3. Import")
    add("")
    n_runs = len(next(iter(imp.values())).import_s.values)
    add(
        f"A fresh interpreter per measurement ({n_runs} per row, interleaved), with `gewe` and the generated "
        "`gewe_api` byte-compiled in a site folder first on `PYTHONPATH`; httpx and urllib3 from the venv. "
        "*import* is the import timed inside the process; *+ first call* adds one client and one group-QR "
        "call to the loopback server (a cron job's whole cost besides Python's start-up); *process* is the "
        "whole interpreter run as the parent saw it. Ratios are per round, median (IQR)."
    )
    add("")
    add("| what | endpoints | import ms | vs `import httpx` | + first call ms | vs urllib3 | process ms |")
    add("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for lib, res in bench.libraries.items():
        add(
            f"| `import {lib}` | | {res.import_s.median * 1e3:.1f} | | {res.first_call_s.median * 1e3:.1f} "
            f"| | {res.process_s.median * 1e3:.1f} |"
        )
    for n, res in sorted(imp.items()):
        name = "shipped spec" if n == min(imp) else "synthetic spec + the real QR page"
        add(
            f"| `import gewe`, {name} ({builds[n].modules} module(s)) | {n} "
            f"| {res.import_s.median * 1e3:.1f} "
            f"| {_ratio(bench.vs_httpx[n])} | {res.first_call_s.median * 1e3:.1f} "
            f"| {_ratio(bench.first_call_vs_urllib3[n])} | {res.process_s.median * 1e3:.1f} |"
        )
    for n, res in sorted(bench.clients.items()):
        add(
            f"| `from gewe import GeweClient` + `GeweClient(...)`, {n} endpoint(s) | {n} "
            f"| {res.import_s.median * 1e3:.1f} | {_ratio(bench.client_vs_httpx[n])} | | "
            f"| {res.process_s.median * 1e3:.1f} |"
        )
    small, large = imp[min(imp)], imp[max(imp)]
    add(
        f"| ratio {max(imp)} / {min(imp)} endpoints | | {large.import_s.median / small.import_s.median:.3f}× "
        f"| | {large.first_call_s.median / small.first_call_s.median:.3f}× "
        f"| | {large.process_s.median / small.process_s.median:.3f}× |"
    )
    add("")


def _short_section(results: dict[str, Any], add: Any) -> None:
    short = results["short"]
    from percall import SHORT_LABELS

    add("## 1b. Short-lived clients")
    add("")
    add(
        "Cron jobs, serverless handlers, the `gewe` command: a client made, used for one call and closed. "
        f"{short.rounds} interleaved rounds of {short.calls} clients per contender, each contender in a warm "
        "process of its own (the first client's one-off costs, imports and TLS set-up, are in section 3); "
        "every client opens a new connection to the loopback server. Ratios per round against urllib3 of "
        "the same round, median (IQR)."
    )
    add("")
    add("| contender | µs per client (median) | IQR | ratio to urllib3 |")
    add("| --- | ---: | ---: | ---: |")
    for mode, label in SHORT_LABELS.items():
        res = short.results.get(mode)
        if res is None:
            add(f"| {label} | n/a | | |")
            continue
        add(f"| {label} | {res.wall.median * 1e6:.1f} | {_iqr(res.wall, 1e6)} | {_ratio(res.ratio)} |")
    add("")


def _generation_section(results: dict[str, Any], add: Any) -> None:
    builds = results["builds"]
    add("## 4. Generation")
    add("")
    n_runs = len(next(iter(builds.values())).total.values)
    add(
        "Wall time of `python -m tools.gewe_spec --exports DIR --out FILE` (bundle) and "
        "`python tools/generate.py --spec FILE --out DIR` (generate), as `make spec generate` runs them; "
        f"{n_runs} "
        "run(s) each, median."
    )
    add("")
    add("| endpoints | bundle s | generate s | total s | generated .py files |")
    add("| ---: | ---: | ---: | ---: | ---: |")
    for n, b in sorted(builds.items()):
        add(f"| {n} | {b.bundle.median:.2f} | {b.generate.median:.2f} | {b.total.median:.2f} | {b.files} |")
    sizes = sorted(builds)
    lo, hi = builds[sizes[0]], builds[sizes[-1]]
    segments = ", ".join(
        f"{a}→{b}: {(builds[b].total.median - builds[a].total.median) / (b - a) * 1e3:.0f} ms"
        for a, b in itertools.pairwise(sizes)
    )
    span = sizes[-1] - sizes[0]
    add("")
    add(
        f"Growth: {hi.total.median / lo.total.median:.2f}× the time for {sizes[-1]}× the endpoints. "
        f"Per extra endpoint: {(hi.total.median - lo.total.median) / span * 1e3:.0f} ms overall "
        f"(bundle {(hi.bundle.median - lo.bundle.median) / span * 1e3:.0f} ms, "
        f"generate {(hi.generate.median - lo.generate.median) / span * 1e3:.0f} ms); by segment {segments}. "
        f"On top of a fixed {lo.total.median:.1f} s (two interpreters, their imports, the generator and "
        "its ruff post-hooks). Equal per-endpoint costs in each segment mean linear growth."
    )
    add("")


def _images_section(results: dict[str, Any], add: Any) -> None:
    cases, b64_chars, jpeg_bytes = results["images"]
    add("## 5. Image helpers")
    add("")
    n_rounds = len(next(iter(cases.values())).seconds.values)
    add(
        f"The seed's QR ({b64_chars:,} base64 characters, a {jpeg_bytes:,}-byte JPEG), {n_rounds} "
        "interleaved "
        "rounds, median µs per operation, written to a temp folder on the local disk."
    )
    add("")
    add("| operation | µs (median) | ratio |")
    add("| --- | ---: | ---: |")
    pairs = {
        "sdk_end": "plain_end",
        "plain_end": "plain_end",
        "sdk_decode": "plain_decode",
        "plain_decode": "plain_decode",
        "sdk_save": "plain_save",
        "plain_save": "plain_save",
        "durable_save": "plain_save",
        "re_ws": "plain_decode",
        "split_ws": "plain_decode",
        "re_alpha": "plain_decode",
    }
    for key, case in cases.items():
        base = cases[pairs[key]]
        add(
            f"| {case.label} | {case.seconds.median * 1e6:.1f} | "
            f"{case.seconds.median / base.seconds.median:.2f}× |"
        )
    add("")
    add(
        "Ratios compare each SDK operation with its plain counterpart (rows marked 1.00× are the baselines; "
        "the *step* rows, what `decode_image` does besides `b64decode`, compare with `b64decode`). "
        "`save`'s cost is its durability (fsync + rename), which the plain write does not have: compare it "
        "with "
        "the durable plain write."
    )
    add("")


def _method_section(results: dict[str, Any], add: Any) -> None:
    add("## How it is measured")
    add("")
    add(
        "- The loopback server (`bench/server.py`) is a minimal asyncio HTTP/1.1 keep-alive server in its "
        "own process "
        "on 127.0.0.1, sending one pre-built reply (the group-QR example of `openapi/gewe.yaml`) to every "
        "request; "
        "no Prism, whose own cost would drown the differences."
    )
    add(
        "- Each contender is a `bench/worker.py` process of its own, driven one at a time by "
        "`bench/run.py`, so the "
        "client and the server each have a core; gewechat-client runs under `.bench/venv` "
        "(`bench/requirements-gewechat.txt`), never a project dependency. All send the same body "
        "`{appId, chatroomId}` with the same token header."
    )
    add(
        "- gewechat-client calls `requests.post(...)` without a session, so it opens a new TCP connection "
        "per call; "
        "it cannot reuse connections (its API takes no session), which is most of its extra cost here."
    )
    add(
        "- Import and generation builds go to a temp folder; the 150-endpoint exports come from "
        "`tests/fixtures/synth.py` (`write_synthetic_exports`) plus the real group-QR page."
    )
    add("- Raw numbers of the last run: `.bench/results.json`.")
