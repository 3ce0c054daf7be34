"""The workspace's navigation: one entry per journey, shown only to roles that may use it.

Each page module declares its entries (``NAV = [NavItem(...)]``) and ``app/web/__init__.py``
lists the modules; :func:`visible_nav` filters by the principal's permissions, the same ones
the page's dependency checks (``app/web/deps.py``), so a link is never shown to a 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.identity import Permission, Principal


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str  # marked with N_() where declared; translated in the template
    path: str
    permission: Permission
    description: str = ""  # one line on the home page
    order: int = 100


_ITEMS: list[NavItem] = []


def register(*items: NavItem) -> None:
    for item in items:
        if all(existing.path != item.path for existing in _ITEMS):
            _ITEMS.append(item)
    _ITEMS.sort(key=lambda i: (i.order, i.path))


def visible_nav(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in _ITEMS if principal.can(item.permission)]
