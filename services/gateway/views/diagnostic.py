"""« Diagnostic local »: start one, fill the questionnaire with drafts, complete it, see results."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request, url_for

from services.gateway.auth import clients, current_user
from services.gateway.calls import calling, redirect_with
from services.gateway.clients import ServiceError
from services.gateway.presenters import first_error_messages, iso_moment, page_number, pagination
from services.gateway.views.access import claims, may, my_structures, permission_required

bp = Blueprint("diagnostic", __name__)
READ, FILL = "diagnostic:read", "diagnostic:fill"
PER_PAGE = 20
START_FIELDS = ("structure_id", "channels")
PARIS = ZoneInfo("Europe/Paris")
MAX_EDITORS = 20  # names looked up per page, at most
# What « écart » means on every page, said once: the chart, the table and the CSV agree.
GAP_DEFINITION = ("Écart = niveau attendu − score, en points. Un écart positif est ce qui "
                  "manque pour atteindre le niveau attendu ; zéro ou négatif : niveau atteint.")


def field_name(question_id: str, channel: str) -> str:
    """An HTML id/name for one item (question × channel)."""
    return "q-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{question_id}--{channel}")


def when(value: str | None) -> str:
    """« 28/11/2026 à 15:03 » in Paris time from an ISO date."""
    moment = iso_moment(value)
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(PARIS)
    return moment.strftime("%d/%m/%Y à %H:%M")


def _structure_names(structures: list[dict]) -> dict[str, str]:
    return {str(s.get("id")): s.get("name") or str(s.get("id")) for s in structures}


def default_channels(questionnaire: dict, declared: list[str] | None) -> tuple[list[str], bool]:
    """The questionnaire channels covering the contact channels a structure declares in identity
    (the mapping is the diagnostic API's `structure_channels`), and whether it declared any;
    every channel when it declares none, as the API does for a diagnostic started without."""
    wanted = set(declared or ())
    channels = questionnaire.get("channels", [])
    picked = [c["code"] for c in channels if wanted & set(c.get("structure_channels") or ())]
    return (picked, True) if picked else ([c["code"] for c in channels], False)


def structure_choices(questionnaire: dict, structures: list[dict]) -> list[dict]:
    """The structures one may diagnose, each with the channels ticked when it is chosen."""
    labels_ = {c["code"]: c["label"] for c in questionnaire.get("channels", [])}
    choices = []
    for s in structures:
        codes, declared = default_channels(questionnaire, s.get("channels"))
        choices.append({
            "id": str(s.get("id")), "name": s.get("name") or str(s.get("id")), "channels": codes,
            "said": ("Canaux cochés : ceux déclarés pour cette structure ("
                     + ", ".join(labels_.get(c, c) for c in codes) + ").") if declared else
                    "Aucun canal déclaré pour cette structure : tous les canaux sont cochés."})
    return choices


def _start_form(choices: list[dict], by_id: dict[str, dict]) -> dict:
    """The start form as posted; else the structure asked for, or the only one, with the
    channels it declares ticked."""
    if request.method == "POST":
        return {"structure_id": request.form.get("structure_id", "").strip(),
                "channels": request.form.getlist("channels")}
    chosen = request.args.get("structure_id", "").strip()
    if chosen not in by_id:
        chosen = choices[0]["id"] if len(choices) == 1 else ""
    return {"structure_id": chosen, "channels": by_id[chosen]["channels"] if chosen else []}


def _start_errors(form: dict, by_id: dict[str, dict]) -> dict[str, list[str]]:
    """What the posted start form lacks."""
    errors: dict[str, list[str]] = {}
    if not form["structure_id"]:
        errors["structure_id"] = ["Choisissez la structure à diagnostiquer."]
    if request.form.get("action") == "channels":
        # Without the script, this button ticks the chosen structure's channels.
        if form["structure_id"] in by_id:
            form["channels"] = by_id[form["structure_id"]]["channels"]
    elif not form["channels"]:
        errors["channels"] = ["Choisissez au moins un canal."]
    return errors


def _to_questionnaire(diagnostic_id, message: str, category: str = "info"):
    return redirect_with(message, url_for("diagnostic.questionnaire",
                                          diagnostic_id=diagnostic_id), category)


@bp.route("/agent/diagnostic", methods=["GET", "POST"])
@permission_required(READ)
def diagnostics():
    user = current_user()
    structures = my_structures(clients()["identity"], user.token)
    questionnaire = clients()["diagnostic"].get("/questionnaires/current", token=user.token)
    choices = structure_choices(questionnaire, structures)
    by_id = {c["id"]: c for c in choices}
    form = _start_form(choices, by_id)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        if not may(FILL):
            abort(403)
        errors = _start_errors(form, by_id)
        if not errors and request.form.get("action") != "channels":
            with calling(START_FIELDS) as call:
                created = clients()["diagnostic"].post("/diagnostics", token=user.token,
                                                       json=form)
            if not call.failed:
                return _to_questionnaire(created["id"], "Le diagnostic est commencé. Vos "
                                         "réponses sont enregistrées à chaque « Enregistrer "
                                         "le brouillon ».", "success")
            draft = call.refused((409,)) and (call.error.errors.get("draft_id") or [None])[0]
            if draft:
                return _to_questionnaire(draft, "Un diagnostic est déjà en cours pour cette "
                                         "structure : vous pouvez le reprendre.")
            errors, general = call.errors, call.general
    return _list_page(questionnaire, structures, by_id.get(form["structure_id"]), choices,
                      form, errors, general)


def _list_page(questionnaire: dict, structures: list[dict], chosen: dict | None,
               choices: list[dict], form: dict, errors: dict, general: list[str]):
    page = page_number(request.args.get("page"))
    listing = clients()["diagnostic"].get("/diagnostics", token=current_user().token,
                                          params={"page": page, "per_page": PER_PAGE})
    channels = [(c["code"], c["label"]) for c in questionnaire.get("channels", [])]
    status = 400 if (errors or general) else 200
    return render_template(
        "diagnostic/list.html", items=listing.get("items", []),
        pages=pagination(listing, page, PER_PAGE), names=_structure_names(structures),
        structures=choices, chosen=chosen,
        channels=channels, form=form, errors=errors, general=general, may_fill=may(FILL),
        channel_labels=dict(channels)), status


def _editor_names(ids: set[str], token: str) -> dict[str, str]:
    """Names of the people who edited answers: « vous », else identity's name when the
    user may read users (referents, admins), else a neutral wording."""
    me = str(claims().get("sub", ""))
    names = {i: "un autre membre de l'équipe" for i in ids}
    if me in names:
        names[me] = "vous"
    if may("user:manage"):
        for user_id in sorted(ids - {me})[:MAX_EDITORS]:
            with calling():
                names[user_id] = clients()["identity"].get(f"/users/{user_id}",
                                                           token=token).get("name") or names[user_id]
    return names


def sections_of(questionnaire: dict, found: dict, values: dict[str, str],
                notes: dict[int, str], missing: set[str], names: dict[str, str]) -> list[dict]:
    """The questionnaire grouped by commitment then channel, with values and who edited them."""
    picked = set(found.get("channels") or [])
    channels = [c for c in questionnaire.get("channels", []) if c["code"] in picked]
    saved = {f"{a['question_id']}/{a['channel']}": a for a in found.get("answers") or []}
    saved_notes = {int(n["commitment"]): n for n in found.get("notes") or []}
    sections = []
    for commitment in questionnaire.get("commitments", []):
        groups, answered, total = [], 0, 0
        for channel in channels:
            items = []
            for question in commitment.get("questions", []):
                if channel["code"] not in question.get("channels", []):
                    continue
                key = f"{question['id']}/{channel['code']}"
                answer = saved.get(key) or {}
                edited = ""
                if answer.get("updated_at"):
                    edited = (f"Dernière modification par "
                              f"{names.get(str(answer.get('updated_by')), 'un membre de l’équipe')}"
                              f" le {when(answer['updated_at'])}")
                items.append({"key": key, "field": field_name(question["id"], channel["code"]),
                              "text": question["text"], "value": values.get(key, ""),
                              "original": (saved.get(key) or {}).get("answer", ""),
                              "edited": edited, "missing": key in missing})
                total += 1
                answered += 1 if values.get(key) else 0
            if items:
                groups.append({"code": channel["code"], "label": channel["label"],
                               "entries": items})
        number = int(commitment["number"])
        note = saved_notes.get(number) or {}
        sections.append({
            "number": number, "label": commitment["label"], "anchor": f"engagement-{number}",
            "groups": groups, "answered": answered, "total": total,
            "note": notes.get(number, note.get("text", "")), "note_original": note.get("text", ""),
            "note_edited": (f"Dernière modification par "
                            f"{names.get(str(note.get('updated_by')), 'un membre de l’équipe')} "
                            f"le {when(note.get('updated_at'))}") if note.get("updated_at") else ""})
    return sections


def _changes(sections: list[dict]) -> dict:
    """Only what this person changed since the page was loaded, so two people filling the
    questionnaire at once do not overwrite each other's answers with stale ones."""
    answers, notes = [], []
    for section in sections:
        for group in section["groups"]:
            for item in group["entries"]:
                value = request.form.get(item["field"], "")
                if value and value != request.form.get("orig-" + item["field"], ""):
                    question_id, _, channel = item["key"].rpartition("/")
                    answers.append({"question_id": question_id, "channel": channel,
                                    "answer": value})
        text = request.form.get(f"note-{section['number']}", "").strip()
        if text != request.form.get(f"orig-note-{section['number']}", "").strip():
            notes.append({"commitment": section["number"], "text": text})
    return {"answers": answers, "notes": notes}


def missing_by_commitment(sections: list[dict]) -> list[dict]:
    """One line per commitment with unanswered questions: how many, and a link to the first."""
    summary = []
    for section in sections:
        fields = [item["field"] for group in section["groups"] for item in group["entries"]
                  if item["missing"]]
        if fields:
            count = len(fields)
            summary.append({"field": fields[0], "count": count, "number": section["number"],
                            "text": f"{count} question{'s' if count > 1 else ''} sans réponse "
                                    f"dans l'engagement {section['number']}"})
    return summary


def _structure(structure_id, token: str) -> dict:
    """The diagnosed structure; {} when identity cannot say."""
    with calling():
        return clients()["identity"].get(f"/structures/{structure_id}", token=token)
    return {}


def _page(found: dict, questionnaire: dict, values: dict, notes: dict, missing: set[str],
          errors: dict, general: list[str], missing_links: list[dict], status: int = 200):
    token = current_user().token
    editors = {str(a.get("updated_by")) for a in found.get("answers") or [] if a.get("updated_by")}
    editors |= {str(n.get("updated_by")) for n in found.get("notes") or [] if n.get("updated_by")}
    sections = sections_of(questionnaire, found, values, notes, missing,
                           _editor_names(editors, token))
    structure = _structure(found.get("structure_id"), token)
    progress = found.get("progress") or {}
    return render_template(
        "diagnostic/questionnaire.html", diagnostic=found, questionnaire=questionnaire,
        sections=sections, structure_name=structure.get("name") or found.get("structure_id"),
        progress=progress, errors=errors, general=general, missing_links=missing_links,
        readonly=found.get("status") != "draft" or not may(FILL),
        scale=[(s["code"], s["label"]) for s in questionnaire.get("scale", [])],
        last_edit=when((found.get("last_edit") or {}).get("updated_at"))), status


@bp.route("/agent/diagnostic/<diagnostic_id>", methods=["GET", "POST"])
@permission_required(READ)
def questionnaire(diagnostic_id: str):
    user = current_user()
    api = clients()["diagnostic"]
    found = api.get(f"/diagnostics/{diagnostic_id}", token=user.token)
    questionnaire_ = api.get(f"/questionnaires/{found['questionnaire_version']}",
                             token=user.token)
    values = {f"{a['question_id']}/{a['channel']}": a.get("answer") or ""
              for a in found.get("answers") or []}
    if request.method == "GET":
        return _page(found, questionnaire_, values, {}, set(), {}, [], [])
    if not may(FILL) or found.get("status") != "draft":
        abort(403)
    sections = sections_of(questionnaire_, found, values, {}, set(), {})
    notes = _typed(sections, values)
    completing = request.form.get("action") == "complete"
    changes = _changes(sections)
    with calling(split=_not_completed, raising=(401, 404)) as call:
        if changes["answers"] or changes["notes"]:
            found = api.put(f"/diagnostics/{diagnostic_id}/answers", token=user.token,
                            json=changes) or found
        if completing:
            api.post(f"/diagnostics/{diagnostic_id}/complete", token=user.token, json={})
    if not call.failed:
        return _saved(diagnostic_id, completing)
    missing = set(call.errors.get("missing") or [])
    marked = sections_of(questionnaire_, found, values, notes, missing, {})
    errors = {item["field"]: ["Répondez à cette question."] for section in marked
              for group in section["groups"] for item in group["entries"] if item["missing"]}
    return _page(found, questionnaire_, values, notes, missing, errors, call.general,
                 missing_by_commitment(marked), 400)


def _typed(sections: list[dict], values: dict[str, str]) -> dict[int, str]:
    """Keep what was typed, whatever happens next: the answers in `values`; the notes."""
    notes: dict[int, str] = {}
    for section in sections:
        notes[section["number"]] = request.form.get(f"note-{section['number']}", "")
        for group in section["groups"]:
            for item in group["entries"]:
                values[item["key"]] = request.form.get(item["field"]) or values.get(item["key"], "")
    return notes


def _not_completed(exc: ServiceError) -> tuple[dict, list[str]]:
    """The questions still unanswered (`missing`) and, in the summary, what the API said."""
    return exc.errors, [exc.message] + first_error_messages(exc.errors, ("missing",))


def _saved(diagnostic_id: str, completing: bool):
    if completing:
        return redirect_with("Le diagnostic est terminé. Voici ses résultats.",
                             url_for("diagnostic.results", diagnostic_id=diagnostic_id))
    section = request.form.get("action", "").removeprefix("save-")
    return redirect_with("Le brouillon est enregistré.", url_for(
        "diagnostic.questionnaire", diagnostic_id=diagnostic_id,
        _anchor=f"engagement-{section}" if section.isdigit() else None))


def _points(share) -> int | None:
    """A share as a whole percentage, half rounded up like the API's `score_percent`."""
    if share is None:
        return None
    return int((Decimal(repr(share)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def gap_points(commitment: dict) -> int | None:
    """The commitment's « écart » (GAP_DEFINITION): the API's `gap_points`, else the same rule
    from its shares."""
    if "gap_points" in commitment:
        return commitment["gap_points"]
    score, expected = _points(commitment.get("score")), _points(commitment.get("expected"))
    return None if score is None or expected is None else expected - score


def signed(points: int | None) -> str:
    """« 45 », « 0 », « −5 » (a real minus sign): the gap as the chart and the table write it."""
    if points is None:
        return "—"
    return f"−{-points}" if points < 0 else str(points)


def gap_chart(commitments: list[dict], width: int = 720) -> dict:
    """Horizontal bars (score in %), weakest first, with markers for the expected level,
    the network average and the previous diagnostic when known."""
    left, right, row, top = 130, 150, 34, 24
    plot_w = width - left - right
    rows = []
    for i, c in enumerate(commitments):
        y = top + i * row
        score = _points(c.get("score"))
        expected = _points(c.get("expected"))
        average = _points(c.get("network_average"))
        previous = _points(c.get("previous_score"))
        rows.append({
            "label": f"Engagement {c['number']}", "y": y, "bar_y": y + 6, "text_y": y + 19,
            "width": round(plot_w * (score or 0) / 100, 1), "score": score,
            "expected": expected, "expected_x": None if expected is None
            else round(left + plot_w * expected / 100, 1),
            "average": average, "average_x": None if average is None
            else round(left + plot_w * average / 100, 1),
            "previous": previous, "previous_x": None if previous is None
            else round(left + plot_w * previous / 100, 1),
            "gap": gap_points(c), "gap_text": signed(gap_points(c)),
            "value_x": left + plot_w + 10})  # a column of values: never over a marker
    height = top + len(rows) * row + 10
    return {"width": width, "height": height, "left": left, "plot_w": plot_w, "rows": rows,
            "ticks": [{"x": round(left + plot_w * v / 100, 1), "value": v}
                      for v in (0, 25, 50, 75, 100)],
            "bottom": height - 10,
            "has_average": any(r["average"] is not None for r in rows),
            "has_previous": any(r["previous"] is not None for r in rows)}


@bp.get("/agent/diagnostic/<diagnostic_id>/resultats")
@permission_required(READ)
def results(diagnostic_id: str):
    user = current_user()
    api = clients()["diagnostic"]
    with calling(only=(409,)) as call:
        found = api.get(f"/diagnostics/{diagnostic_id}/results", token=user.token)
    if call.failed:  # a draft has no results yet: back to its questionnaire
        return _to_questionnaire(diagnostic_id, call.error.message)
    # weakest_commitments gives the order; commitments carries notes and comparisons.
    order = [c.get("number") for c in found.get("weakest_commitments") or []]
    commitments = found.get("commitments") or []
    scored = sorted((c for c in commitments if c.get("number") in order),
                    key=lambda c: order.index(c.get("number")))
    unscored = [c for c in commitments if c.get("number") not in order]
    structure = _structure(found.get("structure_id"), user.token)
    for c in commitments:
        c["gap_points"] = gap_points(c)
        c["gap_text"] = signed(c["gap_points"])
    return render_template(
        "diagnostic/results.html", results=found, chart=gap_chart(scored),
        gap_definition=GAP_DEFINITION,
        commitments=scored + unscored,
        weakest=[c for c in found.get("weakest") or [] if (c.get("gap") or 0) > 0][:10],
        structure_name=structure.get("name") or found.get("structure_id"),
        completed=when(found.get("completed_at")), previous=found.get("previous"),
        previous_when=when((found.get("previous") or {}).get("completed_at")),
        network=found.get("network") or {}, points=_points)


@bp.get("/agent/diagnostic/<diagnostic_id>/resultats.csv")
@permission_required(READ)
def results_csv(diagnostic_id: str):
    with calling(only=(409,)) as call:
        body, content_type, filename = clients()["diagnostic"].download(
            f"/diagnostics/{diagnostic_id}/results.csv", token=current_user().token)
    if call.failed:  # a draft has no results yet: back to its questionnaire
        return _to_questionnaire(diagnostic_id, call.error.message)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "diagnostic.csv"
    return Response(body, content_type=content_type or "text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"})
