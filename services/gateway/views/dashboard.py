"""« Tableau de bord »: the figures of GET /dashboard for a scope and a period, with a chart."""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import partial

from flask import Blueprint, render_template, request

from services.gateway.auth import clients, current_user
from services.gateway.calls import calling, split_errors
from services.gateway.clients import ServiceError
from services.gateway.labels import DASHBOARD_FIGURES, MONTHS, MONTHS_SHORT
from services.gateway.presenters import INVALID_DATE, typed_date
from services.gateway.views.access import claims, my_structures, permission_required

bp = Blueprint("dashboard", __name__)
MAX_MONTHS = 12  # the chart's width; the table and chart show the last twelve months
SERIES = (("published", "Expériences publiées", "#000091"),
          ("answered", "Expériences avec réponse", "#6a6af4"))


def month_count(start: date, end: date) -> int:
    """How many calendar months the period touches (a typed period may span millennia)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _month_after(first: date) -> date | None:
    """The first day of the following month; None after December 9999 (the last date)."""
    if first.month < 12:
        return first.replace(month=first.month + 1)
    return None if first.year == date.max.year else date(first.year + 1, 1, 1)


def months_between(start: date, end: date, last: int | None = None) -> list[tuple[date, date]]:
    """(first day, last day) of each calendar month the period touches, clipped to it; with
    `last`, only that many months, the period's last ones."""
    if last is not None and month_count(start, end) > last:
        year, month = end.year, end.month - (last - 1)
        while month < 1:
            year, month = year - 1, month + 12
        start = date(year, month, 1)
    months, first = [], start.replace(day=1)
    while first is not None and first <= end:
        following = _month_after(first)
        months.append((max(first, start),
                       end if following is None else min(following - timedelta(days=1), end)))
        first = following
    return months


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months, this one included."""
    year, month = today.year, today.month - (MAX_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), today


def nice_step(largest: float, ticks: int = 4) -> int:
    """A round step (1, 2, 5 × 10^n) so that `ticks` steps cover `largest`."""
    if largest <= ticks:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def bar_chart(groups: list[dict], series=SERIES, width: int = 720, height: int = 260) -> dict:
    """Geometry of a grouped vertical bar chart: one group per entry, one bar per series."""
    left, bottom, top = 48, 40, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    largest = max([g[key] or 0 for g in groups for key, _, _ in series] + [0])
    step = nice_step(largest)
    ceiling = max(step * math.ceil(largest / step), step)
    slot = plot_w / max(len(groups), 1)
    bar_w = min(28.0, slot * 0.8 / len(series))
    bars, labels = [], []
    for i, group in enumerate(groups):
        start = left + i * slot + (slot - bar_w * len(series)) / 2
        for j, (key, name, colour) in enumerate(series):
            value = group[key] or 0
            h = plot_h * value / ceiling
            bars.append({"x": round(start + j * bar_w, 1), "y": round(top + plot_h - h, 1),
                         "w": round(bar_w - 2, 1), "h": round(h, 1), "colour": colour,
                         "value": value, "title": f"{group['label']} — {name} : {value}"})
        labels.append({"x": round(left + i * slot + slot / 2, 1), "text": group["short"]})
    ticks = [{"y": round(top + plot_h - plot_h * v / ceiling, 1), "value": v}
             for v in range(0, ceiling + 1, step)]
    return {"width": width, "height": height, "left": left, "right": width - 8,
            "baseline": top + plot_h, "label_y": top + plot_h + 24, "bars": bars,
            "labels": labels, "ticks": ticks, "series": series}


def percent(share) -> str:
    return "—" if share is None else f"{round(share * 100)}\u00a0%"


def days(value) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text}\u00a0jour{'s' if value >= 2 else ''}"


def tiles(figures: dict, target_days: int | None) -> list[dict]:
    """The figures as tiles: label, formatted value, optional hint."""
    shown = []
    for key, text in DASHBOARD_FIGURES.items():
        value = figures.get(key)
        hint = None
        if key.endswith("_share"):
            formatted = percent(value)
        elif key == "average_delay_days":
            formatted = days(value)
            if target_days:
                hint = f"Délai cible du réseau : {days(target_days)}"
        else:
            formatted = str(value if value is not None else "—")
        if key == "within_target_share" and target_days:
            hint = f"En {days(target_days)} ou moins"
        shown.append({"key": key, "label": text, "value": formatted, "hint": hint})
    return shown


def _target_days(token: str) -> int | None:
    """The network's target delay, when the user belongs to one (identity's /networks)."""
    network_id = claims().get("network_id")
    if not network_id:
        return None
    with calling():
        listing = clients()["identity"].get("/networks", token=token, params={"per_page": 500})
        for network in listing.get("items", []):
            if str(network.get("id")) == str(network_id):
                return network.get("target_delay_days")
    return None


def _parse(raw: str, field: str, errors: dict) -> date | None:
    """A period bound typed as JJ/MM/AAAA or ISO; None when empty or invalid (with an error)."""
    try:
        return typed_date(raw)
    except ValueError:
        errors[field] = [INVALID_DATE]
        return None


def _months(figures: dict, start: date, end: date) -> list[dict]:
    """The last months of the period, with their figures (none: zero)."""
    series = {str(m.get("month")): m for m in figures.get("by_month") or []}
    months = []
    for first, _last in months_between(start, end, last=MAX_MONTHS):
        found = series.get(f"{first.year:04d}-{first.month:02d}", {})
        published, answered = found.get("published") or 0, found.get("answered") or 0
        months.append({"label": f"{MONTHS[first.month - 1]} {first.year}",
                       "short": f"{MONTHS_SHORT[first.month - 1]} {first.year % 100:02d}",
                       "published": published, "answered": answered,
                       "answered_share": percent(answered / published if published else None)})
    return months


def _refused_scope(structure_id: str, exc: ServiceError) -> tuple[dict, list[str]]:
    """A structure out of the user's scope is said next to its field."""
    if exc.status in (403, 404) and structure_id:
        return {"structure_id": [exc.message]}, []
    return split_errors(exc)


@bp.get("/agent/tableau-de-bord")
@permission_required("dashboard:read")
def dashboard():
    user = current_user()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    structure_id = request.args.get("structure_id", "").strip()
    # As the agents' list does, the children count until the form says otherwise: a regional
    # super agent's first view is not an empty region. The form always sends its dates.
    submitted = any(name in request.args for name in ("from", "to", "structure_id"))
    include_children = request.args.get("include_children") == "1" or not submitted
    start, end = default_period(date.today())
    start = _parse(request.args.get("from", ""), "from", errors) or start
    end = _parse(request.args.get("to", ""), "to", errors) or end
    if start > end:
        errors["to"] = ["La date de fin doit suivre la date de début."]
    structures = [(str(s.get("id")), s.get("name") or str(s.get("id")))
                  for s in my_structures(clients()["identity"], user.token)]
    figures, months = None, []
    if not errors:
        scope = {"structure_id": structure_id,
                 "include_children": "true" if include_children else None}
        with calling(split=partial(_refused_scope, structure_id)) as call:
            figures = clients()["experiences"].get(
                "/dashboard", token=user.token,
                params={**scope, "from": start.isoformat(), "to": end.isoformat()})
        months = [] if call.failed else _months(figures, start, end)
        errors, general = call.errors, call.general
    status = 400 if (errors or general) else 200
    return render_template(
        "dashboard/dashboard.html", structures=structures, structure_id=structure_id,
        include_children=include_children, start=start, end=end, errors=errors,
        general=general, tiles=tiles(figures, _target_days(user.token)) if figures else [],
        months=months, chart=bar_chart(months) if months else None,
        truncated=month_count(start, end) > MAX_MONTHS), status
