"""Open311 GeoReport v2, read-only, for published cases only (NĐ 20/2008 Art 19: answers are made
public), so that existing civic-tech clients can read them. JSON only; no personal data (the
citizen's address is never the "address" of the request: only the redacted public text is shown).

    /open311/v2/services.json            the categories as services
    /open311/v2/requests.json            published cases (service_request_id, service_code, start_date,
                                         end_date, status, page, page_size)
    /open311/v2/services/<code>.json     a service's definition (no attributes: metadata is false)
    /open311/v2/requests/<id>.json       one published case, as a one-element list (as the spec says)

Every error, an unknown id or path included, is GeoReport v2's JSON list ``[{"code", "description"}]``
(``views_common.error_page`` for what no view of this blueprint answers), never an HTML page.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflows.clock import CLOCK, LOCAL_TZ, end_of_local_day
from workflows.lifecycle import State

from ..extensions import db
from ..models import Category, Feedback
from ..services.cases import normalise_code
from ..views_common import MAX_PAGE
from .export import BadInstant, instant_arg

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
DEFAULT_DAYS = 90  # GeoReport v2: without dates, the last 90 days
MAX_PAGE_SIZE = 1000
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # an end_date without a time: the whole day
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL_TZ).isoformat() if value else None


def _error(code: int, message: str):
    return jsonify([{"code": code, "description": message}]), code


def _service(category: Category) -> dict:
    return {"service_code": category.code, "service_name": category.name, "description": category.name,
            "metadata": False, "type": "realtime", "keywords": "", "group": "PAKN"}


def _request(case: Feedback) -> dict:
    due = case.answered_due_date or case.due_date
    return {
        "service_request_id": case.code,
        "status": "closed",  # published means answered: nothing is left to do
        "status_notes": case.public_answer,
        "service_name": case.category.name if case.category else None,
        "service_code": case.category.code if case.category else None,
        "description": case.public_question or case.public_title,
        "agency_responsible": case.unit.name if case.unit else current_app.config["AGENCY_NAME"],
        "service_notice": None,
        "requested_datetime": _iso(case.received_at),
        "updated_datetime": _iso(case.published_at),
        # the end of the due date for the answer, in local time
        "expected_datetime": _iso(end_of_local_day(due) - timedelta(seconds=1)) if due else None,
        "address": None, "address_id": None, "zipcode": None, "lat": None, "long": None, "media_url": None,
    }


def _published():
    return (select(Feedback).where(Feedback.state == State.PUBLISHED.value)
            .options(selectinload(Feedback.category), selectinload(Feedback.unit)))


@bp.get("/services.json")
def services():
    return jsonify([_service(c) for c in db.session.execute(select(Category).order_by(Category.code)).scalars()])


@bp.get("/services/<code>.json")
def service_definition(code: str):
    category = db.session.execute(select(Category).where(Category.code == code)).scalar_one_or_none()
    if category is None:
        return _error(404, gettext("Không có dịch vụ (lĩnh vực) mã %(code)s.", code=code))
    return jsonify({"service_code": category.code, "attributes": []})


@bp.get("/requests.json")
def requests_list():
    query = _published()
    ids = [normalise_code(i) for i in request.args.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        query = query.where(Feedback.code.in_(ids[:MAX_PAGE_SIZE]))
    else:
        try:
            end, start = instant_arg("end_date"), instant_arg("start_date")
        except BadInstant as bad:
            return _error(400, bad.message())
        page, size = request.args.get("page", "1").strip(), request.args.get("page_size", "100").strip()
        # ASCII digits only: int() would also read "١٢" or "1_000", which no client means
        if not (ASCII_NUMBER.fullmatch(page) and ASCII_NUMBER.fullmatch(size)):
            return _error(400, gettext("Tham số không hợp lệ: page và page_size phải là số nguyên."))
        page, size = int(page), int(size)
        if not 1 <= page <= MAX_PAGE or not 1 <= size <= MAX_PAGE_SIZE:
            return _error(400, gettext("page phải từ 1, page_size từ 1 đến 1000."))
        if end is not None and DATE_ONLY.fullmatch(request.args["end_date"].strip()):
            end += timedelta(days=1)  # end_date=2024-05-13 takes in the cases of that day
        end = end or CLOCK.now()
        # the last DEFAULT_DAYS before ``end``, from year 1 at the earliest (an end_date in January of
        # year 1 is read, not an OverflowError)
        start = start or end - min(timedelta(days=DEFAULT_DAYS), end - EARLIEST)
        status = request.args.get("status", "")
        if status and status not in ("open", "closed"):
            return _error(400, gettext("status phải là open hoặc closed."))
        if status == "open":
            return jsonify([])  # a published case is never open
        if codes := [c.strip() for c in request.args.get("service_code", "").split(",") if c.strip()]:
            query = query.join(Category).where(Category.code.in_(codes))
        query = (query.where(Feedback.received_at >= start, Feedback.received_at < end)
                 .order_by(Feedback.received_at.desc(), Feedback.id.desc()).limit(size).offset((page - 1) * size))
    return jsonify([_request(c) for c in db.session.execute(query).scalars()])


@bp.get("/requests/<code>.json")
def request_one(code: str):
    case = db.session.execute(_published().where(Feedback.code == normalise_code(code))).scalar_one_or_none()
    if case is None:
        return _error(404, gettext("Không có phản ánh, kiến nghị đã công khai mã %(code)s.", code=code))
    return jsonify([_request(case)])
