"""The staff case page and its actions, shared by the office (HCTH, leader) and the unit blueprints:
everything the citizen sent, the audit trail, the due date with its legal basis, and one form per
event the state machine allows this user now."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select

from workflows.lifecycle import EVENTS, N_, REFUSAL_REASONS, SUBJECTS, LifecycleError, Role, State

from ..auth import typed_text
from ..extensions import db
from ..models import Attachment, Transition, User
from ..services import (assignment, cases, citizen_notices, corrections, files, publication, serialize, staff,
                        submissions)
from ..services.calendar import load_calendar
from ..services.cases import StaleCase
from ..views_common import event_label, local_dt, send_download
from .forms import PREVIEW_FIELDS, AssignForm, DuplicateForm, correction_form, event_form, event_args


def load_case(code: str):
    """The case if this user may see it; otherwise 404 (a unit never learns another unit's cases exist).
    A form sent to a case the unit itself has just sent back to HCTH (a colleague, another tab) is told
    so on the unit's list rather than answered "not found"."""
    case = cases.find(code)
    if case is None or not serialize.staff_may_see(current_user, case):
        if case is not None and request.method == "POST" and _handed_back(case):
            if kept := typed_text():  # a reply, a reason being sent: shown to copy, never lost
                abort(make_response(render_template("unit/handed_back.html", kept=kept,
                                                    message=gettext(HANDED_BACK, code=case.code)), 409))
            flash(gettext(HANDED_BACK, code=case.code), "error")
            abort(redirect(url_for("unit.workspace")))
        abort(404)
    return case


HANDED_BACK = N_("Phản ánh, kiến nghị %(code)s đã được đơn vị trả lại Văn phòng; thao tác vừa gửi không được thực "
                 "hiện.")


def _handed_back(case) -> bool:
    """The unit once held the case: one of its users acted on it (a unit loses a case only by returning it)."""
    if current_user.role != Role.UNIT.value:
        return False
    return db.session.execute(select(Transition.id).join(User, Transition.actor_id == User.id).where(
        Transition.feedback_id == case.id, User.unit_id == current_user.unit_id).limit(1)).first() is not None


DUPLICATE = "duplicate"  # ``forms``' key of the duplicate form sent back with its error
ASSIGN = "assign"  # and of the unit's form choosing the officer who handles the case

# Actions that cannot be taken back and reach someone outside at once, asked again in the browser
# (static/pakn.js; without script the forms work as before): the citizen is told, the public reads it,
# the file closes, the one apology letter is spent (NĐ 61/2018 Art 19.9).
CONFIRM = {
    "refuse": N_("Không tiếp nhận phản ánh, kiến nghị này? Người gửi sẽ được thông báo lý do; không hoàn tác được."),
    "transfer_out": N_("Chuyển phản ánh, kiến nghị này đến cơ quan khác? Người gửi sẽ được thông báo; "
                       "không hoàn tác được."),
    "approve": N_("Duyệt và gửi câu trả lời này cho người gửi ngay?"),
    "publish": N_("Công khai câu trả lời này? Công chúng sẽ đọc được bản công khai ngay."),
    "archive": N_("Lưu trữ hồ sơ này? Sau khi lưu trữ, hồ sơ không còn thao tác nào."),
    "extend": N_("Gia hạn và gửi phiếu xin lỗi, hẹn lại ngày trả lời cho người gửi? Mỗi phản ánh, kiến nghị "
                 "chỉ được hẹn lại một lần."),
}


def render_case(case, bp: str, forms: dict | None = None, status: int = 200):
    events = cases.allowed_events(case, current_user)
    forms = {**{e: event_form(e, case) for e in events}, **(forms or {})}
    office = current_user.role == "office"
    context = dict(
        case=case, bp=bp, events=events, forms=forms, specs=EVENTS, reasons=REFUSAL_REASONS, subjects=SUBJECTS,
        confirm=CONFIRM,
        overdue_step=staff.overdue_step(case), directions=cases.directions(case),
        days_left=staff.working_days_left(case, load_calendar()),
        submitted=[a for a in case.attachments if a.kind == "submission"],
        # sent later by the citizen with the supplementary information HCTH asked for (provide_info)
        supplied=[a for a in case.attachments if a.kind == "supplement"],
        replies=[a for a in case.attachments if a.kind == "reply"],
        removable=staff.removable_draft_files(case) if bp == "unit" else [],
        # looked for at intake only (None after it: the card then offers the form without a verdict)
        similar=staff.likely_duplicates(case) if office and case.state in staff.INTAKE_STATES else None,
        rating_labels=submissions.RATING_SCORES,
        art7=submissions.art7_shortfalls(case) if office and "refuse" in events else [],
        identity_missing=", ".join(gettext(what) for what in submissions.identity_missing(case)),
        assign_form=(forms.get(ASSIGN) or AssignForm.of(case, assignment.colleagues(case), formdata=None))
        if _offered(case, ASSIGN) else None,
        duplicate_form=(forms.get(DUPLICATE) or DuplicateForm(data={"version": case.version}))
        if _offered(case, DUPLICATE) else None,
        preview=publication.preview(case) if case.state in ("answered", "published") else None,
        # Sửa thông tin tiếp nhận (services.corrections): HCTH, before classification
        correction_form=(forms.get(corrections.FORM) or correction_form(case))
        if office and corrections.may_correct(case) else None,
        # whether the request for information reached the citizen (a refusal for no answer waits for it)
        info=citizen_notices.info_request(case) if bp == "office" else None,
        # the citizen's time to answer runs from the day the request reached them, not the day it was made
        due_from=citizen_notices.due_explained(case, "vi") if case.state == State.AWAITING_INFO.value else None,
        notice_kinds=citizen_notices.KIND_LABELS, notice_ways=citizen_notices.HOW_LABELS,
    )
    return render_template("office/case.html", **context), status


# Another change came between the page and its form, and the page still offers that form: shown again
# with what was typed (a reply, a reason), to be checked against the case as it is now and sent again.
KEPT_MESSAGE = N_("Phản ánh, kiến nghị đã được cập nhật kể từ khi trang được mở. Nội dung bạn vừa nhập vẫn còn "
                  "trong biểu mẫu này (tệp đính kèm, nếu có, cần chọn lại): xem lại hồ sơ, rồi gửi lại nếu vẫn "
                  "phù hợp.")
# Forms filled with the whole record as the page read it (the public copy of the answer, what was
# received): sent again, their untouched fields would put back what the other change replaced.
NOT_KEPT = frozenset({"publish"})


def stale(case, bp: str, event: str | None = None, done=None, kept=None):
    """The answer to a form that met a newer version. Its own action already recorded (the audit row of
    ``event``, or ``done(case)`` for an action without one: the form sent twice, a reload, the back
    button) is said so. Otherwise, with ``kept(case)`` giving the page's name for the form and the form
    as sent, the page comes back (409) with the case as it is now and the form as typed, at the newer
    version, when the page still offers it: nothing typed is lost. Else a redirect asks to reload."""
    db.session.rollback()  # read the case as it is now
    row = cases.repeated(case, current_user, event) if event else None
    if row is not None:
        flash(gettext(StaleCase.repeated_message, action=event_label(row.event), at=local_dt(row.at)), "info")
    elif done is not None and done(case):
        flash(gettext(StaleCase.done_message), "info")
    elif kept is not None and _offered(fresh := cases.find(case.code), (sent := kept(fresh))[0]):
        name, form = sent
        form.version.data, form.version.raw_data = fresh.version, [str(fresh.version)]
        # the form's own error: the page's list of errors says it and takes the focus, and the page asks
        # before it is left with the text (static/pakn.js, data-dirty)
        form.form_errors.append(gettext(KEPT_MESSAGE))
        return render_case(fresh, bp, {name: form}, 409)
    else:
        flash(gettext(StaleCase.message), "error")
    return redirect(url_for(f"{bp}.case", code=case.code))


def _offered(case, name: str) -> bool:
    """Whether the case page shows the form ``name`` to this user now (``render_case``)."""
    if name in NOT_KEPT:
        return False
    if name == ASSIGN:
        return assignment.may_assign(case, current_user)
    if name == DUPLICATE:
        return current_user.role == "office" and case.is_open
    return name in cases.allowed_events(case, current_user)


def handle_event(code: str, event: str, bp: str, *, only_save_preview: bool = False):
    """POST of one action form: parse, call one service, redirect (or show the form's errors with what
    was typed). ``only_save_preview``: the publish form's "Lưu bản công khai" button keeps the
    reviewed copy without publishing."""
    case = load_case(code)
    if event not in EVENTS:
        abort(404)
    form = event_form(event, case, formdata=_formdata())
    if not form.validate():  # the page's list of what to correct says it, and takes the focus (case.html)
        return render_case(_keep_draft_files(case, event, form), bp, {event: form}, 422)
    version = form.version.data
    try:
        texts = {k: form[k].data or "" for k in PREVIEW_FIELDS} if event == "publish" else None
        files = (form.attachments.data or []) if event == "submit_draft" else ()
        if only_save_preview and texts is not None:
            staff.save_preview(case, current_user, texts, version)
        else:
            staff.act(case, event, current_user, event_args(form, event), files=files, texts=texts,
                      expected_version=version)
    except StaleCase:
        return stale(case, bp, None if only_save_preview else event, kept=lambda fresh: (event, form))
    except staff.StaffInputError as exc:
        db.session.rollback()
        flash(gettext(exc.message, **exc.params), "error")
        return render_case(cases.find(code), bp, {event: form}, 422)
    except LifecycleError as exc:
        db.session.rollback()
        flash(gettext(exc.why, **exc.params), "error")
        for name, message in exc.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, gettext(message, **exc.params)]
        case = cases.find(code)
        if exc.status != 422:
            return render_case(case, bp, None, exc.status)
        return render_case(_keep_draft_files(case, event, form), bp, {event: form}, 422)
    flash(gettext("Đã lưu bản công khai.") if only_save_preview
          else gettext("Đã thực hiện: %(action)s.", action=gettext(EVENTS[event].label)), "success")
    if bp == "unit" and case.unit_id != current_user.unit_id:  # returned to HCTH: no longer the unit's page
        return redirect(url_for("unit.workspace"))
    return redirect(url_for(f"{bp}.case", code=code))


def _keep_draft_files(case, event: str, form):
    """The files chosen with a draft sent for review that came back (a reply too short): kept in the draft,
    as "Lưu dự thảo" keeps them, so that the unit need not choose them again and the answer cannot go
    out without them. The stored draft's text is left as it was; the form shows what was typed. A file
    refused by the checks keeps the form's own error and nothing is kept."""
    chosen = [f for f in (form.attachments.data or []) if f and f.filename] if event == "submit_draft" else []
    if not chosen or not form.version.raw_data or form.version.errors:
        return case  # a page without its version (tampered, broken) keeps nothing: it could be any page
    for f in chosen:
        f.stream.seek(0)  # read by a refused submit_draft
    try:
        staff.save_draft(case, current_user, case.reply_text, chosen, form.version.data)
    except (StaleCase, staff.StaffInputError, LifecycleError):
        db.session.rollback()
        return cases.find(case.code)
    # the next send follows this save, not the page before it (rendered from raw_data, as stale() does)
    form.version.data, form.version.raw_data = case.version, [str(case.version)]
    flash(ngettext("Tệp vừa chọn đã được lưu vào dự thảo, không cần chọn lại.",
                   "%(num)d tệp vừa chọn đã được lưu vào dự thảo, không cần chọn lại.", len(chosen)), "info")
    return case


def sent_draft(case):
    """The unit's "Lưu dự thảo" as sent (the reply typed; the files to choose again)."""
    return "submit_draft", event_form("submit_draft", case, formdata=_formdata())


def _formdata():
    from werkzeug.datastructures import CombinedMultiDict
    return CombinedMultiDict([request.files, request.form])


def handle_side_action(code: str, bp: str, action, event: str | None = None, done=None, sent=None):
    """A form that changes a case without a transition (draft, preview, duplicate): same locking.
    ``event`` (its audit row) or ``done`` tell the same form sent again (``stale``). ``sent(case)``:
    the page's name for the form and the form as it was sent, shown again with the error at its field
    when the input is refused, so that nothing typed is lost (without it, the page is reloaded)."""
    case = load_case(code)
    try:
        action(case)
    except StaleCase:
        return stale(case, bp, event, done, kept=sent)
    except staff.StaffInputError as exc:
        db.session.rollback()
        flash(gettext(exc.message, **exc.params), "error")
        if sent is not None:
            case = cases.find(code)
            name, form = sent(case)
            if exc.field in form:
                form[exc.field].errors = [*form[exc.field].errors, gettext(exc.message)]
            return render_case(case, bp, {name: form}, 422)
    except LifecycleError as exc:
        db.session.rollback()
        flash(gettext(exc.why, **exc.params), "error")
    return redirect(url_for(f"{bp}.case", code=code))


def download(attachment_id: int):
    """An attachment, for staff who may see its case; read from UPLOAD_DIR, never from the web root."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not serialize.staff_may_see(current_user, attachment.feedback):
        abort(404)
    path = files.attachment_path(attachment)
    if not path.is_file():
        abort(404)
    return send_download(path, attachment.original_name, attachment.content_type)
