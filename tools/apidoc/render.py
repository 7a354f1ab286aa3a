"""The API reference as Markdown (api.md): options and errors once, then every module's methods, then
every model. Deterministic: the same package always gives the same text, so `make check` can compare."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from tools.gewe_spec.report import plural

from .read import Api, ErrorClass, Method, Model, Module, Param

# Errors that come from helpers on a result (images, the qr extra), not from making a call.
NOT_FROM_CALLS = frozenset({"GeweImageError", "GeweDependencyError"})
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WIDTH = 100


def anchor(heading: str) -> str:
    """The fragment GitHub (and most Markdown renderers) give a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return "#" + text.replace(" ", "-")


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes and angle brackets escaped."""
    return _escape(" ".join(text.split())) or " "


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def typed(annotation: str, models: dict[str, Model]) -> str:
    """A type for a table cell, each model in it a link to its section."""
    annotation = " ".join(annotation.split())
    if not annotation:
        return " "
    parts, last = [], 0
    for match in IDENTIFIER.finditer(annotation):
        parts.append(_escape(annotation[last : match.start()]))
        name = match.group()
        parts.append(f"[{name}]({anchor(name)})" if name in models else name)
        last = match.end()
    parts.append(_escape(annotation[last:]))
    return "".join(parts)


def _default(param: Param) -> str:
    if param.default is None:
        return "yes"
    if param.default in ("UNSET", ""):
        return "no"
    return f"no (default `{param.default}`)"


def signature(prefix: str, method: Method, returns: str) -> str:
    """`prefix(*, a: T, b: U = x, **options) -> R`, wrapped one argument a line when long."""
    args = []
    for p in method.params:
        if p.name.startswith("**"):
            continue
        default = "" if p.default is None else f" = {p.default}"
        args.append(f"{p.name}: {p.annotation}{default}")
    args.append("**options")
    one_line = f"{prefix}(*, {', '.join(args)}) -> {returns}"
    if len(one_line) <= WIDTH:
        return one_line
    inner = "".join(f"    {a},\n" for a in ["*", *args])
    return f"{prefix}(\n{inner}) -> {returns}"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _details(lines: list[str]) -> list[str]:
    """A method's free docstring text; its headings become bold lines so they stay inside the method."""
    out = [re.sub(r"^#+\s*(.*)$", r"**\1**", line) for line in lines]
    return [*out, ""] if out else []


# Which errors a call can raise beyond those every call can: the account's failures need an appId
# (a logged-in device), the login ones only come from the calls that log in.
NEEDS_APP_ID = frozenset({"GeweOfflineError", "GeweDeviceNotFoundError"})
NEVER_FROM_CALLS = frozenset({"GeweEventError"})  # parse_event and set_callback's, not an operation's
LOGIN_ONLY = {
    "GeweAlreadyLoggedInError": lambda op, fields: op.startswith("login.") and "ogin" in op.split(".", 1)[1],
    "GeweVerificationRequiredError": lambda op, fields: op == "login.checkLogin" or "captchCode" in fields,
    "GeweDeviceLimitError": lambda op, fields: op == "login.getLoginQrCode",
}


def raises(method: Method, fields: set[str], call_errors: list[str]) -> list[str]:
    """The errors this operation's call can raise, in the error table's order.

    Every call can meet a bad configuration, a refused token, an HTTP or connection failure, a
    timeout, and any other `ret != 200`; a call that returns `data` can meet a reply without it
    (`GeweResponseError`); `GeweOfflineError` and `GeweDeviceNotFoundError` need an `appId`; the
    login failures only come from the login calls (LOGIN_ONLY).
    """
    op = method.operation or ""
    out = []
    for name in call_errors:
        if name in NEVER_FROM_CALLS:
            continue
        if name in NEEDS_APP_ID and "appId" not in fields:
            continue
        if name in LOGIN_ONLY and not LOGIN_ONLY[name](op, fields):
            continue
        if name == "GeweResponseError" and method.returns in ("None", ""):
            continue
        out.append(name)
    return out


def render_method(
    module: Module, method: Method, api: Api, call_errors: list[str], read_only: Callable[[str], bool]
) -> list[str]:
    models = api.models
    title = f"{module.name}.{method.name}"
    out = [f"### `{title}`", ""]
    if method.summary:
        out += [method.summary, ""]
    out += _details(method.details)
    returns = method.override_returns or method.returns
    code = [signature(f"client.{module.name}.{method.name}", method, returns)]
    if method.name in module.async_methods:
        code.append(f"await async_client.{module.name}.{method.name}(...)  # the same arguments, async")
    out += ["```python", *code, "```", ""]
    if method.operation:
        out += [f"`POST {method.path}` (operation `{method.operation}`)", ""]
    request = models.get(method.request_model)
    by_field = {f.name: f.wire for f in request.fields} if request else {}
    wire = {p.name: by_field.get(method.fills.get(p.name, p.name), "") for p in method.params}
    fields = [p for p in method.params if not p.name.startswith("**")]
    if fields:
        out += _table(
            ["argument", "JSON field", "type", "required", "description"],
            (
                [
                    f"`{p.name}`",
                    f"`{wire[p.name]}`" if wire.get(p.name) else " ",
                    typed(p.annotation, models),
                    _default(p),
                    cell(p.description),
                ]
                for p in fields
            ),
        )
        out.append("")
    if request is not None:
        out += [f"Request body: [{request.name}]({anchor(request.name)}).", ""]
    described = (
        f"[{method.returns}]({anchor(method.returns)})" if method.returns in models else f"`{method.returns}`"
    )
    line = f"Returns: {described}, the reply's `data`."
    if method.override:
        line += f" `{method.override}` refines it: returns `{method.override_returns}`."
    out += [line, ""]
    raised = raises(method, set(by_field.values()), call_errors)
    if raised:
        out += ["Raises: " + ", ".join(f"`{e}`" for e in raised) + " ([Errors](#errors)).", ""]
    if not method.operation:
        pass
    elif read_only(method.operation):
        out += ["Retries: read-only, so timeouts, dropped connections, 429 and 502/503/504 are retried.", ""]
    else:
        out += [
            "Retries: only failures before the request was sent, unless the call passes `idempotent=True` "
            "(it may have taken effect).",
            "",
        ]
    return out


def render_model(model: Model, models: dict[str, Model]) -> list[str]:
    out = [f"### {model.name}", "", f"`from gewe_api.models import {model.name}`", ""]
    if model.enum_base:
        out += [f"Enum (`{model.enum_base}`):", ""]
        out += _table(["member", "value"], ([f"`{n}`", f"`{cell(v)}`"] for n, v in model.members))
        return [*out, ""]
    if not model.fields:
        return [*out, 'No declared fields (undeclared ones: `additional_properties`, `model["key"]`).', ""]
    out += _table(
        ["attribute", "JSON field", "type", "required", "description"],
        (
            [
                f"`{f.name}`",
                f"`{f.wire}`" if f.wire else " ",
                typed(f.annotation, models),
                "yes" if f.required else "no",
                cell(f.description),
            ]
            for f in model.fields
        ),
    )
    return [*out, ""]


def render_errors(errors: list[ErrorClass]) -> list[str]:
    if not errors:
        return []
    out = ["## Errors", "", "Every error is a `gewe.GeweError`; catch that to catch them all.", ""]
    out += _table(
        ["error", "is a", "when"],
        ([f"`{e.name}`", ", ".join(f"`{b}`" for b in e.bases), cell(e.summary)] for e in errors),
    )
    return [*out, ""]


def render(
    api: Api,
    errors: list[ErrorClass],
    read_only: Callable[[str], bool],
    spec_sha256: str = "",
    handwritten: list[str] | None = None,
) -> str:
    """The whole api.md."""
    n_ops = sum(len(m.methods) for m in api.modules)
    call_errors = [e.name for e in errors if e.name not in NOT_FROM_CALLS and e.name != "GeweError"]
    out = [
        "# API reference",
        "",
        "<!-- Generated by `make generate` (tools/apidoc) from generated/gewe_api and overrides/gewe. "
        "Do not edit: `make check` fails when it is stale. -->",
        "",
    ]
    if spec_sha256:
        out += [f"Generated from `openapi/gewe.yaml` (sha256 `{spec_sha256}`).", ""]
    out += [
        f"{plural(n_ops, 'operation')} in {plural(len(api.modules), 'module')}. "
        "Each is a method of its module on both clients (sync and async), "
        "with keyword arguments named after the request's fields:",
        "",
        "```python",
        "from gewe import AsyncGeweClient, GeweClient",
        "",
        'client = GeweClient(token="...", app_id="wx_...")  # or GEWE_TOKEN, GEWE_APP_ID, GEWE_BASE_URL',
        "client.<module>.<method>(**fields, **options)",
        "async_client = AsyncGeweClient()",
        "await async_client.<module>.<method>(**fields, **options)",
        "```",
        "",
        "`app_id` defaults to the client's. Methods return the reply's `data`, typed "
        "(see [Models](#models)).",
        "",
        "Modules: "
        + ", ".join(f"[{m.name}]({anchor('module ' + m.name)}) ({len(m.methods)})" for m in api.modules),
        "",
    ]
    if api.options:
        out += [
            "## Per-call options",
            "",
            "Every method also takes these keyword arguments (`gewe_api.api.CallOptions`):",
            "",
        ]
        out += _table(
            ["option", "type", "description"],
            ([f"`{p.name}`", typed(p.annotation, {}), cell(p.description)] for p in api.options),
        )
        out.append("")
    out += render_errors(errors)
    for module in api.modules:
        out += [f"## Module {module.name}", ""]
        for method in module.methods:
            out += render_method(module, method, api, call_errors, read_only)
        for helper in module.helpers:
            out += [
                f"### `{module.name}.{helper.name}` (hand-written)",
                "",
                "```python",
                f"client.{module.name}.{helper.name}({helper.signature}) -> {helper.returns}",
                "```",
                "",
                f"In `{helper.source}`, on both clients (`await` it on `AsyncGeweClient`); "
                "the GeWe calls it makes go through the client like any method.",
                "",
                *([*helper.doc.splitlines(), ""] if helper.doc else []),
            ]
    out += ["## Models", ""]
    for model in api.models.values():
        out += render_model(model, api.models)
    out += handwritten or []
    return "\n".join(out).rstrip("\n") + "\n"
