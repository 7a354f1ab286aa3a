"""What the default senders share: TLS contexts and proxies from the environment.

Loading the CA bundle is slow, and httpx does it for every client it makes. A client here gets the
process's one verified context (httpx's default: certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR)
when its base URL, or a proxy from the environment, is `https://`; else a context that trusts no CA,
which no connection uses (and which would refuse any certificate: it fails closed). Proxies come
from HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, in either case, as urllib reads them.
"""

from __future__ import annotations

import base64
import functools
import ssl
import urllib.request
from typing import TYPE_CHECKING, Any

from ..errors import GeweConfigError, GeweDependencyError

if TYPE_CHECKING:
    import httpcore


@functools.cache
def verified_context() -> ssl.SSLContext:
    """httpx's default context, built on first use and shared by every client in the process."""
    import httpx

    return httpx.create_ssl_context()


@functools.cache
def _unused_context() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates, and trusts none


def needs_tls(url: str) -> bool:
    """Whether a client of `url` may open a TLS connection: to it, or to a proxy from the environment."""
    if url[:8].lower() == "https://":
        return True
    return any(proxy[:8].lower() == "https://" for proxy in urllib.request.getproxies().values())


def context_for(url: str) -> ssl.SSLContext:
    """The context for a client whose requests go to `url` (its base URL)."""
    return verified_context() if needs_tls(url) else _unused_context()


def proxy_for(scheme: str, host: str) -> str | None:
    """The proxy URL the environment names for `scheme://host`, or None to go direct."""
    proxies = {k: v for k, v in urllib.request.getproxies().items() if "://" in v}
    if not proxies:
        return None
    proxy = proxies.get(scheme) or proxies.get("all")
    return None if proxy is None or urllib.request.proxy_bypass(host) else proxy


def sync_pool(proxy: str | None, **kwargs: Any) -> httpcore.ConnectionPool:
    """httpcore's pool for the default sync sender: direct, or through the environment's proxy
    (http, https, socks5) as httpx's transport makes it; a proxy it cannot use is a GeweError."""
    import httpcore
    import httpx

    if proxy is None:
        return httpcore.ConnectionPool(**kwargs)
    try:
        url = httpx.URL(proxy)
        plain = str(url.copy_with(username=None, password=None))
        auth = (url.username, url.password) if url.username else None
        if url.scheme in ("http", "https"):
            basic = auth and base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers = [(b"Proxy-Authorization", f"Basic {basic}".encode())] if basic else None
            return httpcore.HTTPProxy(proxy_url=plain, proxy_headers=headers, **kwargs)
        if url.scheme in ("socks5", "socks5h"):
            return httpcore.SOCKSProxy(proxy_url=plain, proxy_auth=auth, **kwargs)
        problem = f"unknown scheme {url.scheme!r}"
    except (ImportError, RuntimeError) as exc:  # socks5:// without socksio (httpx's `socks` extra)
        raise GeweDependencyError(f"the proxy from the environment needs: {exc}") from None
    except (ValueError, httpx.InvalidURL) as exc:
        problem = str(exc)
    raise GeweConfigError(f"the proxy from the environment cannot be used: {problem}", setting="proxy")
