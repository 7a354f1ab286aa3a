"""The targets `make bench` checks (issue 16), each a figure from interleaved rounds with its spread.

A target's figure is the median of per-round values (a ratio to a floor or peer measured in the same
round, or a time); its spread is the interquartile range and the min–max of those rounds. When the
IQR straddles the target, the run cannot tell a pass from a miss: the result says *within noise*.
The A/A rows (a floor measured by a second worker of its own, `raw-again`, `async-aiohttp-again`)
show how far two identical contenders drift in this run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common import Sample

SYNC_VS_HTTPX = 0.85  # at most: the SDK's sync call, per round, relative to raw httpx.Client
SYNC_VS_URLLIB3 = 1.1  # at most: the same relative to urllib3
ASYNC_VS_AIOHTTP = 1.15  # at most: a 1,000-call burst, cold and warm, relative to raw aiohttp
BIG_VS_AIOHTTP = 1.0  # at most: a 10,000-call burst relative to raw aiohttp
VS_OPENGEWE = 1.0  # below: a 1,000-call burst relative to opengewe
SHORT_VS_URLLIB3 = 2.0  # at most: `with GeweClient(...)` + one call relative to urllib3's
NEW_CLIENT_US = 500.0  # at most (µs): `GeweClient(...)` + `close()`, after the first in the process
IMPORT_VS_HTTPX = 1.2  # at most: `import gewe` relative to `import httpx`
IMPORT_GROWTH = 1.2  # at most: `import gewe` for the 150-endpoint spec relative to the shipped one


@dataclass
class Target:
    what: str
    limit: float
    sample: Sample  # per-round values
    unit: str = "×"  # "×" for ratios, "µs" for times (sample in seconds)
    below: bool = False  # strictly below the limit ("<"), else at most ("≤")
    failed_calls: int = 0

    def _fmt(self, value: float) -> str:
        return f"{value * 1e6:.0f} µs" if self.unit == "µs" else f"{value:.3f}×"

    @property
    def wanted(self) -> str:
        limit = f"{self.limit:.0f} µs" if self.unit == "µs" else f"{self.limit:.2f}×"
        return f"{'<' if self.below else '≤'} {limit}"

    def _meets(self, value: float) -> bool:
        scaled = value * 1e6 if self.unit == "µs" else value
        return scaled < self.limit if self.below else scaled <= self.limit

    @property
    def measured(self) -> str:
        return self._fmt(self.sample.median)

    @property
    def spread(self) -> str:
        lo, hi = self.sample.quartiles()
        mn, mx = self.sample.spread
        return f"IQR {self._fmt(lo)}–{self._fmt(hi)}; range {self._fmt(mn)}–{self._fmt(mx)}"

    @property
    def met(self) -> bool:
        return self._meets(self.sample.median) and not self.failed_calls

    @property
    def noisy(self) -> bool:
        """True when the IQR straddles the limit: this run cannot tell pass from miss."""
        lo, hi = self.sample.quartiles()
        return self._meets(lo) != self._meets(hi)

    @property
    def result(self) -> str:
        verdict = "pass" if self.met else "MISS"
        if self.failed_calls:
            return f"{verdict} ({self.failed_calls} calls failed)"
        return f"{verdict}, within noise" if self.noisy else verdict


def targets(results: dict[str, Any]) -> list[Target]:
    rows: list[Target] = []
    sync = results["sync"].results if "sync" in results else {}
    if "sdk" in sync:
        for floor, limit, name in (
            ("raw", SYNC_VS_HTTPX, "raw httpx"),
            ("urllib3", SYNC_VS_URLLIB3, "urllib3"),
        ):
            if floor in sync["sdk"].ratios:
                rows.append(Target(f"1. sync per call, SDK vs {name}", limit, sync["sdk"].ratios[floor]))
    short = results["short"].results if "short" in results else {}
    if "short-sdk" in short:
        rows.append(
            Target(
                "1b. `with GeweClient(...)` + one call, vs urllib3 `PoolManager()` + one request",
                SHORT_VS_URLLIB3,
                short["short-sdk"].ratios["short-urllib3"],
            )
        )
    if "new-sdk" in short:
        rows.append(
            Target(
                "1b. `GeweClient(...)` + `close()`, after the first",
                NEW_CLIENT_US,
                short["new-sdk"].wall,
                "µs",
            )
        )
    asy = results.get("async")
    for kind, label, limit in (
        ("cold", f"cold {asy.calls:,}-call burst" if asy else "", ASYNC_VS_AIOHTTP),
        ("warm", f"warm {asy.calls:,}-call burst" if asy else "", ASYNC_VS_AIOHTTP),
        ("cold-big", f"cold {asy.big:,}-call burst" if asy else "", BIG_VS_AIOHTTP),
        ("warm-big", f"warm {asy.big:,}-call burst" if asy else "", BIG_VS_AIOHTTP),
    ):
        res = asy.kinds.get(kind, {}).get("async-sdk") if asy else None
        if res is None:
            continue
        failed = asy.failed[kind]["async-sdk"]
        rows.append(
            Target(
                f"2. async {label}, SDK vs raw aiohttp",
                limit,
                res.ratios["async-aiohttp"],
                failed_calls=failed,
            )
        )
        if "async-opengewe" in res.ratios and not kind.endswith("-big"):
            rows.append(
                Target(
                    f"2. async {label}, SDK vs opengewe",
                    VS_OPENGEWE,
                    res.ratios["async-opengewe"],
                    below=True,
                    failed_calls=failed,
                )
            )
    imp = results.get("imports")
    if imp is not None:
        for n, sample in sorted(imp.vs_httpx.items()):
            rows.append(
                Target(f"3. `import gewe` ({n} endpoint(s)) vs `import httpx`", IMPORT_VS_HTTPX, sample)
            )
        small, large = min(imp.builds), max(imp.builds)
        growth = Sample(
            [
                a / b
                for a, b in zip(
                    imp.builds[large].import_s.values, imp.builds[small].import_s.values, strict=True
                )
            ]
        )
        rows.append(Target(f"3. `import gewe`, {large} vs {small} endpoint(s)", IMPORT_GROWTH, growth))
    return rows


def noise_note(results: dict[str, Any]) -> str:
    """One line: how far a floor drifts against a second worker of itself in this run."""
    parts = []
    sync = results["sync"].results if "sync" in results else {}
    if "raw-again" in sync:
        parts.append(f"sync {_range(sync['raw-again'].ratios['raw'])}")
    asy = results.get("async")
    for kind in ("cold", "warm"):
        res = asy.kinds.get(kind, {}).get("async-aiohttp-again") if asy else None
        if res is not None:
            parts.append(f"async {kind} {_range(res.ratios['async-aiohttp'])}")
    if not parts:
        return ""
    return (
        "**Noise in this run:** the same floor measured by two workers of its own (A/A) gave per-round "
        f"ratios of {', '.join(parts)} (IQR; range); differences smaller than that are not differences. "
        "A result marked *within noise* has the target inside the IQR of its per-round figures, so this "
        "run cannot tell a pass from a miss there."
    )


def _range(sample: Sample) -> str:
    lo, hi = sample.quartiles()
    mn, mx = sample.spread
    return f"{lo:.3f}–{hi:.3f} ({mn:.3f}–{mx:.3f})"


def summary(results: dict[str, Any]) -> str:
    lines = [f"{'target':<78}{'wanted':<10}{'measured':<11}result"]
    for t in targets(results):
        lines.append(f"{t.what:<78}{t.wanted:<10}{t.measured:<11}{t.result}   [{t.spread}]")
    note = noise_note(results)
    return "\n".join(lines + ([note] if note else []))
