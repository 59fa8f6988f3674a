"""The public portal: what citizens see without an account.

- ``/gui-phan-anh``: send feedback (NĐ 20/2008/NĐ-CP Art 6–7);
- ``/tra-cuu``: follow one's own case by code plus phone or e-mail (Art 12.2);
- ``/cong-khai``: the published answers (Art 19; QĐ 31/2021/QĐ-TTg Art 46);
- ``/thong-bao``: the public notice of the channels for feedback (Art 10.3, 13).
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import replace
from datetime import datetime, timezone

from flask import (Response, abort, current_app, flash, jsonify, make_response, redirect, render_template, request,
                   session, url_for)
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from workflows.clock import CLOCK
from workflows.lifecycle import N_, REFUSAL_REASONS, LifecycleError, Role, State

from ..auth import api_user
from ..extensions import db, limiter
from ..models import Feedback
from ..security import from_this_host, no_store, rate_limit_key
from ..reports.periods import RangeError
from ..services import published as published_service
from ..services import citizen_notices, health, held_uploads, letters, serialize, submissions
from ..services.calendar import deadlines
from ..services.cases import StaleCase, Submission, answer_limit, find
from ..services.files import attachment_path, reply_files
from .. import views_common
from ..views_common import beyond_last_page, event_msgid, local_dt, page_arg, period_name, send_download
from . import bp
from .forms import CitizenFiles, LookupForm, ProvideInfoForm, RatingForm, SubmissionFields, SubmissionForm

# Shown in the header of every page (templates/base.html reads ``public_nav``).
PUBLIC_NAV = [
    ("public.submit", N_("Gửi phản ánh, kiến nghị")),
    ("public.lookup", N_("Tra cứu")),
    ("public.published_list", N_("Kết quả công khai")),
    ("public.results", N_("Kết quả xử lý")),
    ("public.notice", N_("Thông báo")),
]
HOME_CARDS = [
    ("public.submit", N_("Gửi phản ánh, kiến nghị"), N_("Không cần tài khoản; khoảng hai phút.")),
    ("public.lookup", N_("Tra cứu tiến độ"), N_("Bằng mã số và số điện thoại hoặc thư điện tử đã khai.")),
    ("public.published_list", N_("Kết quả công khai"), N_("Câu hỏi và câu trả lời đã được công khai.")),
    ("public.results", N_("Kết quả xử lý và mức độ hài lòng"), N_("Tỷ lệ đúng hạn và đánh giá của người gửi, theo từng kỳ báo cáo.")),
    ("public.notice", N_("Thông báo tiếp nhận"), N_("Địa chỉ, điện thoại, thư điện tử tiếp nhận phản ánh, kiến nghị.")),
]
SESSION_CASES = "public_cases"  # the codes this browser proved it may see (code + contact)
LAST_SENT = "last_submission"  # [fingerprint of this browser's last submission, its code, when]
SAME_SUBMISSION_SECONDS = 3600  # the same content again within this is the same submission sent twice

# Each state in plain words, for the citizen.
STATE_EXPLANATIONS = {
    State.RECEIVED: N_("Văn phòng Sở đã tiếp nhận và đang xem xét, phân loại phản ánh, kiến nghị."),
    State.AWAITING_INFO: N_("Văn phòng Sở cần Ông/Bà bổ sung thông tin; thời hạn xử lý tạm dừng trong khi chờ."),
    State.CLASSIFIED: N_("Phản ánh, kiến nghị đã được tiếp nhận, phân loại và sẽ được chuyển đến đơn vị xử lý."),
    # the reason follows on the page: a sender who gave only a phone may read it here before HCTH calls
    State.REFUSED: N_("Phản ánh, kiến nghị không được tiếp nhận, vì lý do nêu dưới đây."),
    State.TRANSFERRED: N_("Phản ánh, kiến nghị không thuộc thẩm quyền của Sở và đã được chuyển đến cơ quan "
                          "có thẩm quyền."),
    State.FORWARDED: N_("Đơn vị chuyên môn đang nghiên cứu, xử lý và dự thảo câu trả lời."),
    State.COLLECTING: N_("Đơn vị chuyên môn đang thu thập thêm thông tin, cơ sở để xử lý phản ánh, kiến nghị "
                         "(Nghị định 20/2008/NĐ-CP, Điều 14.2b)."),
    State.UNDER_REVIEW: N_("Dự thảo câu trả lời đang chờ lãnh đạo Sở duyệt."),
    State.ANSWERED: N_("Đã có câu trả lời; câu trả lời đã được gửi đến Ông/Bà."),
    State.PUBLISHED: N_("Đã có câu trả lời và câu trả lời đã được công khai (thông tin cá nhân được ẩn)."),
}
# An answer HCTH returned to the unit before publication (QĐ 31/2021/QĐ-TTg Art 46): the citizen has an
# answer and keeps reading it; a neutral step, never HCTH's reason, which is for the unit.
RETURNED_EXPLANATION = N_("Câu trả lời đang được hoàn thiện trước khi công khai.")
# Without an e-mail address (or one the mail server refused) the answer reaches the sender by HCTH's phone
# call or letter (citizen_notices), which may not have happened yet when they look the case up
ANSWERED_WITHOUT_MAIL = N_("Đã có câu trả lời, nêu dưới đây; Văn phòng Sở thông báo câu trả lời cho Ông/Bà qua điện "
                           "thoại hoặc gửi văn bản trả lời qua bưu chính.")


def public_state(case: Feedback) -> tuple[str, str]:
    """(the state shown, its explanation) on the citizen's status page: an answer being revised before
    publication is still an answer the citizen was sent."""
    state = serialize.public_state(case)
    if case.answer_returned:
        return state.value, RETURNED_EXPLANATION
    # without an e-mail address, or the answer's mail refused for good (its notice is then owed instead)
    if state == State.ANSWERED and (not case.email or any(n.kind == "answered" for n in case.citizen_notices)):
        return state.value, ANSWERED_WITHOUT_MAIL
    return state.value, STATE_EXPLANATIONS[state]


def event_label(event: str) -> str:
    """The msgid naming an audit event for the public (translated by the template): the staff's
    table, in the citizen's words where they differ (views_common.AUDIT_EVENTS)."""
    return event_msgid(event, public=True)


@bp.app_context_processor
def public_navigation():
    return {"public_nav": PUBLIC_NAV}


def submit_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


REPLAYED = "pakn.submission_replayed"  # in the request's environ: the request's own, as g is not in tests


def only_created(response) -> bool:
    """Only a new case counts against the per-IP limit: a person correcting a typo, or sending the same
    form or API request again (a double click, a retry with its key), is not a bot."""
    return response.status_code in (201, 302, 303) and not request.environ.get(REPLAYED)


def replay_of_a_case() -> bool:
    """The request sends again what a key (the API's Idempotency-Key, the form's hidden key) already made:
    its answer is that case's receipt, which no limit may hold back, so that a client that timed out on
    the request that made it learns its code (README: a replay does not count). The same key with other
    content is no replay: the API refuses it (422, nothing made), and the form makes a new case (the
    citizen went back, changed it and sent it), which counts, or a used key would open the limit."""
    key = request.headers.get(submissions.IDEMPOTENCY_KEY) if request.is_json else request.form.get("submission_key")
    key = submissions.form_key(key)
    case = submissions.made_with_key(key) if key is not None else None
    if case is None or request.is_json:
        return case is not None
    sent = SubmissionFields(formdata=request.form, meta={"csrf": False})
    return sent.validate() and submissions.made_by(case, submission_from(sent, "web"))


# One budget per IP (an IPv6 /64: security.client_key) for the form and the JSON API together.
submit_rate_limit = limiter.shared_limit(submit_limit, scope="public-submit", methods=["POST"],
                                         deduct_when=only_created, exempt_when=replay_of_a_case,
                                         on_breach=lambda limit: too_many_submissions(limit))


# Failed lookups only: guessing the contact of a known code is slowed down, a citizen is not.
lookup_rate_limit = limiter.limit(lambda: current_app.config["LOOKUP_RATE_LIMIT"], methods=["POST"],
                                  deduct_when=lambda response: response.status_code == 422)

# What anyone reads with a tracking code alone (the public view of a case and its public steps, the
# public copy of an apology letter): no personal data, but codes count up day by day, so reading
# them one after another would list the register's workflow. One budget per IP for all of them; a
# token of the workflow's staff is not held back. An admin's token reads what the public reads
# (api.cases.visible_case), so it gets the public's budget.
code_rate_limit = limiter.shared_limit(lambda: current_app.config["CODE_RATE_LIMIT"], scope="public-by-code",
                                       exempt_when=lambda: _workflow_staff(api_user()))


def _workflow_staff(user) -> bool:
    return user is not None and user.role != Role.ADMIN.value


@bp.get("/")
def index():
    count = db.session.execute(select(func.count()).select_from(Feedback)
                               .where(Feedback.state == State.PUBLISHED.value)).scalar_one()
    return render_template("public/index.html", published=count, home_cards=HOME_CARDS)


@bp.get("/favicon.ico")
def favicon():
    """Browsers and crawlers ask for /favicon.ico whatever the page's <link rel="icon"> says."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def healthz():
    """For nginx and the monitor: 200 when the database is reachable and migrated to this code's schema,
    else 503 (services/health.py); always JSON. What is wrong, and the details, only for this host (a
    check on the server itself, by 127.0.0.1) and a signed-in admin; anyone else gets the status."""
    result = health.check()
    response = jsonify(result.body if from_this_host() or _admin_signed_in() else result.public)
    response.status_code = 200 if result.ok else 503
    response.headers["Cache-Control"] = "no-store"
    if result.retry_after:
        response.headers["Retry-After"] = str(result.retry_after)
    return response


def _admin_signed_in() -> bool:
    try:
        return current_user.is_authenticated and current_user.role == Role.ADMIN
    except SQLAlchemyError:  # down, or not at this code's schema (a column missing): nobody can be told apart
        health.rollback_quietly()  # the status says it all, and the answer is still the check's JSON, not a 500
        return False


# --- submission ---------------------------------------------------------------------------------

def submission_from(form: SubmissionFields, channel: str) -> Submission:
    return Submission(full_name=form.full_name.data, address=form.address.data, title=form.title.data,
                      content=form.content.data, phone=submissions.normalise_phone(form.phone.data or ""),
                      email=form.email.data or None, procedure=form.procedure.data or None,
                      # a correction's form has no consent box: the citizen's choice is not a transcription
                      consent_publish="consent_publish" in form and bool(form.consent_publish.data), channel=channel,
                      language=str(get_locale() or "vi"))


@bp.route("/gui-phan-anh", methods=["GET", "POST"])
@submit_rate_limit
def submit():
    form = SubmissionForm()
    if not form.is_submitted():
        form.submission_key.data = submissions.new_submission_key()
    elif form.website.data:
        # the honeypot filled in: a bot, or a browser's autofill; nothing is stored, and a person gets
        # what they typed back, the hidden field emptied, to send again
        return _submission_again(gettext(NOT_SENT), 400, check=False)
    else:
        valid = form.validate_on_submit()
        if (files := attached_files(form, valid)) is not None and valid:
            case, request.environ[REPLAYED] = _submit_once(form, files)
            held_uploads.release(form.held_token.data)
            session["submitted_code"] = case.code
            _remember(case.code)
            return redirect(url_for("public.submitted"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("public/submit.html", form=form), status


def attached_files(form: CitizenFiles, valid: bool) -> list[submissions.CheckedFile] | None:
    """The form's files (the submission's, the supplementary information's, HCTH's intake), checked
    together (kind, size, number): those it already sent and the sender kept (held,
    ``services.held_uploads``) and those chosen now. None, with the reasons on the field, if one is
    refused. ``valid``: the form's fields passed their checks; if not (or a file is refused), the files
    that passed are held and shown on the page that comes back, so the sender need not choose them
    again."""
    current = held_uploads.take(form.held_token.data, request.form.getlist("remove_held"))
    uploads = (submissions.Upload(f.filename, f.stream) for f in (form.attachments.data or []) if f and f.filename)
    checked, refused = submissions.sort_files(uploads, held=len(current.files))
    form.held_token.data, form.held_files = current.token, current.files
    if valid and not refused:
        return [*current.checked, *checked]
    held = held_uploads.hold(current, checked, rate_limit_key())
    if held is None:
        refused.append(gettext("Không giữ được các tệp vừa chọn; vui lòng chọn lại khi gửi."))
    else:
        form.held_token.data, form.held_files = held.token, held.files
    if refused:
        form.attachments.errors = [*form.attachments.errors, *refused]
        return None
    return held.checked


def too_many_submissions(limit) -> Response | None:
    """The portal's form refused by the per-IP limit (``on_breach``): the form comes back with what was
    typed, its files held and its fields checked (a mistake is told now, not in an hour), saying when it
    may be sent again (429); the API keeps its JSON answer."""
    if request.endpoint != "public.submit":
        return None
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60))  # the limiter counts on the real clock
    again = local_dt(datetime.fromtimestamp(limit.reset_at, timezone.utc))
    message = gettext("Từ địa chỉ mạng này đã có nhiều phản ánh, kiến nghị được gửi trong thời gian ngắn nên "
                      "hệ thống tạm chưa nhận thêm. Vui lòng gửi lại sau %(time)s (khoảng %(n)d phút nữa); "
                      "nội dung Ông/Bà đã nhập vẫn được giữ trên trang này.", time=again, n=minutes)
    response = _submission_again(message, 429, check=True)
    response.headers["Retry-After"] = str(max(1, math.ceil(limit.reset_at - time.time())))
    return response


def _submission_again(alert: str, status: int, check: bool) -> Response:
    """The portal's form back with what was typed, its files held, a fresh token, and why it was not
    taken (``alert``); ``check``: its fields checked too."""
    form = SubmissionForm()
    form.website.data, form.website.raw_data = "", None  # the honeypot is never sent back filled
    if check:
        form.validate()
    attached_files(form, valid=False)
    return make_response(render_template("public/submit.html", form=form, form_alert=alert), status)


NOT_SENT = N_("Chưa gửi được phản ánh, kiến nghị. Nội dung Ông/Bà đã nhập vẫn còn trên trang này; vui lòng kiểm "
              "tra rồi bấm gửi lại.")
EXPIRED = N_("Trang đã mở quá lâu hoặc phiên làm việc đã kết thúc nên chưa gửi được. Nội dung Ông/Bà đã nhập "
             "vẫn còn trên trang này; vui lòng kiểm tra rồi bấm gửi lại.")


EXPIRED_INFO = N_("Trang đã mở quá lâu hoặc phiên làm việc đã kết thúc nên thông tin bổ sung chưa được gửi. Vui "
                  "lòng tra cứu lại (nhập số điện thoại hoặc thư điện tử đã khai) rồi gửi lại, kèm tệp nếu có. Nội "
                  "dung Ông/Bà đã nhập: «%(typed)s»")


@bp.errorhandler(CSRFError)
def expired_form(error):
    """A portal form sent without a valid token: its session was lost (a phone's browser restoring a
    tab, a page left open for hours). The submission and the lookup come back with what was typed (the
    submission's files held) and a fresh token, instead of a page that loses them; the status page's
    forms need the session anyway (it sends to the lookup)."""
    if request.method == "POST" and request.endpoint == "public.submit" and not request.form.get("website"):
        return _submission_again(gettext(EXPIRED), 400, check=False)
    if request.method == "POST" and request.endpoint == "public.lookup":
        return render_template("public/lookup.html", form=LookupForm(), form_alert=gettext(EXPIRED)), 400
    if request.method == "POST" and request.endpoint == "public.provide_info":
        # the status page needs its lookup again: the code filled in, and what was typed said back to copy
        form = LookupForm(formdata=None, data={"code": request.view_args.get("code", "")})
        typed = request.form.get("info-note", "").strip()
        return render_template("public/lookup.html", form=form, form_alert=gettext(
            EXPIRED_INFO, typed=typed or "—")), 400
    return views_common.expired_form(error)


def _submit_once(form: SubmissionForm, files: list[submissions.CheckedFile]) -> tuple[Feedback, bool]:
    """(the case, whether it was sent before): the form sent twice (a double click, a reload) makes one
    case; sent again with other content (back, change, send), it makes a new one."""
    submission = replace(submission_from(form, "web"), key=submissions.form_key(form.submission_key.data))
    # Back and send again unchanged: the browser may have fetched the form anew (a new key) and kept
    # what was typed, so this browser's last submission is recognised by its content too.
    sent = _fingerprint(submission, files)
    last = session.get(LAST_SENT)
    if last and last[0] == sent and CLOCK.now().timestamp() - last[2] < SAME_SUBMISSION_SECONDS:
        case = find(last[1])
        if case is not None:
            return case, True
    try:
        case, made = submissions.submit_once(submission, files)
        replayed = not made
    except submissions.KeyReused:
        case, replayed = submissions.submit(replace(submission, key=None), files), False
    session[LAST_SENT] = [sent, case.code, CLOCK.now().timestamp()]
    return case, replayed


def _fingerprint(submission: Submission, files: list[submissions.CheckedFile]) -> str:
    content = [submission.as_stored(), [(f.original_name, hashlib.sha256(f.data).hexdigest()) for f in files]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]


@bp.get("/gui-phan-anh/da-gui")
@no_store
def submitted():
    case = find(session.get("submitted_code") or "")
    if case is None:
        return redirect(url_for("public.submit"))
    answer_by, answer_days = answer_limit(case)  # the date the citizen plans by
    return render_template("public/submitted.html", case=case, answer_by=answer_by, answer_days=answer_days)


@bp.post("/tra-cuu/ket-thuc")
def forget():
    """Done, on a shared computer (a reception desk, a library): the codes this browser looked up or sent
    are no longer its, so the next person cannot open them (their status pages, answers and files)."""
    for name in (SESSION_CASES, "submitted_code", LAST_SENT):
        session.pop(name, None)
    flash(gettext("Đã xóa khỏi trình duyệt này các phản ánh, kiến nghị Ông/Bà đã gửi hoặc tra cứu."), "success")
    return redirect(url_for("public.lookup"), code=303)


# --- status -------------------------------------------------------------------------------------

def _remember(code: str) -> None:
    codes = [c for c in session.get(SESSION_CASES, []) if c != code][-9:]
    session[SESSION_CASES] = [*codes, code]


def own_case(code: str) -> Feedback:
    """The case, if this browser looked it up with its contact (or sent it); else back to the lookup."""
    if code not in session.get(SESSION_CASES, []):
        abort(404)
    case = find(code)
    if case is None:
        abort(404)
    return case


@bp.route("/tra-cuu", methods=["GET", "POST"])
@lookup_rate_limit
def lookup():
    form = LookupForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"].strip()[:24]
    if form.validate_on_submit():
        case = submissions.lookup(form.code.data, form.contact.data)
        if case is not None:
            _remember(case.code)
            return redirect(url_for("public.status", code=case.code), code=303)
        # one message for "no such code" and "wrong contact": a code alone reveals nothing
        form.contact.errors = [gettext("Không tìm thấy phản ánh, kiến nghị với mã số và thông tin liên hệ này.")]
    return render_template("public/lookup.html", form=form), 422 if form.errors else 200


@bp.get("/tra-cuu/<code>")
def status(code: str):
    if code not in session.get(SESSION_CASES, []):
        # a bookmarked or shared link in another browser: ask for the contact, the code filled in
        return redirect(url_for("public.lookup", code=code[:24]))
    return _status_page(own_case(code))


def _status_page(case: Feedback, rating_form: RatingForm | None = None, info_form: ProvideInfoForm | None = None,
                 status: int = 200):
    """The status page; with a form sent back that did not pass its checks, its errors next to its fields."""
    shown_state, explanation = public_state(case)
    return render_template("public/status.html", case=case, steps=submissions.public_steps(case),
                           held=letters.held_promise(case),
                           supplements=submissions.citizen_supplements(case),
                           shown_state=shown_state, explanation=explanation,
                           reply_files=reply_files(case),
                           due=citizen_notices.due_explained(case, str(get_locale())),
                           rating_form=rating_form or RatingForm(prefix="rating"),
                           info_form=info_form or ProvideInfoForm(prefix="info"), can_rate=submissions.can_rate(case),
                           rating_labels=submissions.RATING_SCORES,
                           event_label=event_label, refusal=REFUSAL_REASONS.get(case.refusal_reason or "")), status


@bp.get("/tra-cuu/<code>/tai-lieu/<int:attachment_id>")
def reply_file(code: str, attachment_id: int):
    """A file of the answer, for the browser that looked the case up (or sent it), once it was sent."""
    attachment = next((a for a in reply_files(own_case(code)) if a.id == attachment_id), None)
    path = attachment_path(attachment) if attachment is not None else None
    if path is None or not path.is_file():
        abort(404)
    return send_download(path, attachment.original_name, attachment.content_type)


@bp.post("/tra-cuu/<code>/danh-gia")
def rate(code: str):
    case = own_case(code)
    form = RatingForm(prefix="rating")
    if not form.validate_on_submit():  # the page again, each message next to its field, what was typed kept
        return _status_page(case, rating_form=form, status=422)
    try:
        submissions.rate(case, form.score.data, form.comment.data)
    except submissions.RatingRefused as exc:
        if submissions.rated_as(case, form.score.data, form.comment.data):  # sent twice: it was recorded
            flash(gettext("Cảm ơn Ông/Bà đã đánh giá câu trả lời."), "success")
        else:
            flash(gettext(exc.message), "error")
    else:
        flash(gettext("Cảm ơn Ông/Bà đã đánh giá câu trả lời."), "success")
    return redirect(url_for("public.status", code=code), code=303)


@bp.post("/tra-cuu/<code>/bo-sung")
def provide_info(code: str):
    case = own_case(code)
    form = ProvideInfoForm(prefix="info")
    valid = form.validate_on_submit()
    # the files as the submission's: checked by content, those that passed held while the form comes back
    files = attached_files(form, valid)
    if files is None or not valid:
        if case.state == State.AWAITING_INFO.value:  # the page again, each message next to its field
            return _status_page(case, info_form=form, status=422)
        return _not_waiting(case, form, files)  # the form is gone from the page: its errors could not show
    try:
        submissions.provide_info(case, form.note.data, files)
    except (LifecycleError, StaleCase):
        if not submissions.supplied_as(case := find(code), form.note.data):
            return _not_waiting(case, form, files)
    held_uploads.release(form.held_token.data)  # stored with the case
    flash(gettext("Đã gửi thông tin bổ sung. Thời hạn xử lý được tính tiếp."), "success")
    return redirect(url_for("public.status", code=code), code=303)


def _not_waiting(case: Feedback, form: ProvideInfoForm, files) -> tuple:
    """Information sent to a case no longer waiting for it: HCTH recorded what the citizen said by phone, or
    went on meanwhile. What was typed is said back with the ways to reach the department, never dropped
    unseen; the files held for the form are let go."""
    held_uploads.release(form.held_token.data)
    flash(gettext(NOT_WAITING, typed=(form.note.data or "").strip() or "—",
                  phone=current_app.config["AGENCY_PHONE"], email=current_app.config["AGENCY_EMAIL"])
          + (" " + gettext(FILES_NOT_STORED) if files else ""), "error")
    return _status_page(case, status=409)


NOT_WAITING = N_("Thông tin bổ sung chưa được gửi: phản ánh, kiến nghị không còn ở trạng thái chờ bổ sung thông tin "
                 "(Văn phòng đã ghi nhận thông tin bổ sung hoặc đã xử lý tiếp). Nếu cần gửi thêm, Ông/Bà vui lòng "
                 "liên hệ số điện thoại %(phone)s hoặc thư điện tử %(email)s. Nội dung Ông/Bà đã nhập: «%(typed)s»")
FILES_NOT_STORED = N_("Các tệp Ông/Bà đã chọn chưa được lưu.")


# --- published answers ----------------------------------------------------------------------------

@bp.get("/cong-khai")
def published_list():
    filters, bad_period, why = published_service.parse_filters(request.args)
    # an unreadable period is said next to its filter (400, as the report page answers); the list
    # below is then not narrowed by period, and the page stays usable to correct it
    period_errors = [why.text(gettext) if isinstance(why, RangeError) else
                     gettext("Kỳ không hợp lệ: %(period)s (ví dụ: 2024, 2024-Q1, 2024-01-01..2024-02-29).",
                             period=bad_period), gettext("Danh sách dưới đây chưa lọc theo kỳ.")] if bad_period else []
    results = published_service.search(filters, page_arg(), current_app.config["PER_PAGE"])
    if (moved := beyond_last_page(results)) is not None:
        return moved
    return render_template("public/published_list.html", results=results, filters=filters,
                           choices=published_service.filter_choices(), period_name=period_name,
                           period_errors=period_errors, without_words=published_service.without_words(filters.q)), \
        400 if period_errors else 200


@bp.get("/cong-khai/<code>")
def published_detail(code: str):
    case = published_service.published(code)
    if case is None:
        abort(404)
    return render_template("public/published_detail.html", case=case)


# --- notice board ---------------------------------------------------------------------------------

@bp.get("/thong-bao")
def notice():
    return render_template("public/notice.html", max_attachments=current_app.config["MAX_ATTACHMENTS"],
                           max_mb=f"{current_app.config['MAX_ATTACHMENT_BYTES'] / (1024 * 1024):g}",
                           extensions=submissions.ALLOWED_EXTENSIONS, rules=deadlines().rules)
