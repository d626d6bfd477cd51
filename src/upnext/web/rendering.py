"""Templates and the one way pages are rendered: CSRF token, flash messages, no caching."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from upnext.web.session import PortalSession, session_of

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

ASPECT_RATIOS = {
    "aspect_ratio_16_9": "16x9",
    "aspect_ratio_4_3": "4x3",
    "aspect_ratio_1_1": "1x1",
    "aspect_ratio_2_3": "2x3",
}


def _clock(seconds: int) -> str:
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes = rest // 60
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


templates.env.filters["clock"] = _clock
templates.env.filters["ratio"] = lambda value: ASPECT_RATIOS.get(value, "16x9")


def base_path(request: Request) -> str:
    """Where the portal is mounted (``/portal``), for links and form actions."""
    return str(request.scope.get("root_path", "")).rstrip("/")


class _CsrfToken:
    """The session's CSRF nonce, made only if a template prints it: a page without a form
    (an error page for a stranger) stores no session."""

    def __init__(self, session: PortalSession) -> None:
        self.session = session

    def __html__(self) -> str:
        return self.session.csrf_token()

    __str__ = __html__


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    session = session_of(request)
    context.setdefault("viewer", None)
    response = templates.TemplateResponse(
        request,
        template,
        {
            **context,
            "base": base_path(request),
            "csrf_token": _CsrfToken(session),
            "flash": session.take_flash(),
        },
        status_code=status,
    )
    # Pages may show a secret once, and always show one tenant's data: never cache them.
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(request: Request, path: str) -> Response:
    """303 to a portal path, after a form post."""
    return RedirectResponse(base_path(request) + path, status_code=303)
