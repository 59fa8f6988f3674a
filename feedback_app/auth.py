"""Who may see a page: staff sign in (Flask-Login); the API takes ``Authorization: Bearer <token>``."""
from __future__ import annotations

import hashlib
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from workflows.clock import CLOCK
from workflows.lifecycle import N_, STAFF_ROLES

from .extensions import db, login_manager


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_user():
    """The staff user of the request's bearer token, or None (public access). Cached per request."""
    # cached on the request, not on ``g``: an app context (and its ``g``) may outlive one request
    if "pakn.api_user" not in request.environ:
        request.environ["pakn.api_user"] = None
        header = request.headers.get("Authorization", "")
        if bearer_sent() and header[7:].strip():
            from .models import ApiToken
            token = db.session.execute(select(ApiToken).where(
                ApiToken.token_hash == token_hash(header[7:].strip()), ApiToken.revoked_at.is_(None))).scalar()
            if token is not None and token.user.active:
                token.last_used_at = CLOCK.now()
                db.session.commit()
                request.environ["pakn.api_user"] = token.user
    return request.environ["pakn.api_user"]


def bearer_sent() -> bool:
    """The request carries ``Authorization: Bearer …``, good or not (the scheme in any case, RFC 9110 11.1)."""
    return request.headers.get("Authorization", "")[:7].lower() == "bearer "


def unauthorized():
    """The staff API's 401: no token sent, or one sent that is no good (unknown, revoked, or its account
    deactivated), which the caller needs told apart to know what to fix (RFC 6750 §3.1 ``invalid_token``)."""
    from flask import jsonify
    sent = bearer_sent()
    response = jsonify(error=gettext(INVALID_TOKEN if sent else NO_TOKEN))
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="pakn"' + (', error="invalid_token"' if sent else "")
    return response


NO_TOKEN = N_("Cần mã truy cập (Authorization: Bearer <token>).")
INVALID_TOKEN = N_("Mã truy cập không hợp lệ: sai, đã bị thu hồi, hoặc tài khoản của mã đã ngừng hoạt động.")


def roles_required(*roles: str):
    """A page for signed-in staff of these roles (any staff role when none is given)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.method == "POST" and from_this_site() and (kept := typed_text()):
                    return signed_out_with(kept)
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        # Declared on the view so that tests/test_security.py builds the authorisation matrix from the route table.
        wrapped.pakn_roles = frozenset(roles or STAFF_ROLES)
        return wrapped
    return decorator


# what a staff form carries besides what was typed
_NOT_TYPED = ("csrf_token", "version", "next", "shown", "submission_key", "held_token", "password", "email",
              "submit")


def typed_text() -> str:
    """What a member of staff typed into the form just sent (a reply, a note, a reason): the longer texts
    of words, not a button's label, a date or a code."""
    return "\n\n".join(v.strip() for k, v in request.form.items(multi=True)
                        if not k.endswith(_NOT_TYPED) and len(v.strip()) >= 10 and " " in v.strip())


def _same_site(url: str | None) -> bool:
    own = urlsplit(request.host_url)
    parts = urlsplit(url or "")
    return bool(parts.netloc) and (parts.scheme, parts.netloc) == (own.scheme, own.netloc)


def from_this_site() -> bool:
    """The request came from a page of this site (its Origin, else its Referer): another site's form never
    gets its text shown back on the department's sign-in page."""
    origin = request.headers.get("Origin")
    return _same_site(origin) if origin and origin != "null" else _same_site(request.referrer)


def signed_out_with(kept: str):
    """A staff form sent after its session ended (signed out in another tab, a new password, the account
    stopped): the sign-in page at once, with what was typed to copy back, not a redirect that loses it.
    Signed in, the person goes back to the page the form was on."""
    from flask import render_template, url_for

    from .office.forms import LoginForm
    from .views_common import local_path
    back = local_path(urlsplit(request.referrer).path) if _same_site(request.referrer) else None
    return render_template("office/login.html", form=LoginForm(formdata=None), refused=None, kept=kept,
                           action=url_for("office.login", next=back)), 401


def public_page(view):
    """A page of a staff area that anyone may open (the sign-in page), declared as such."""
    view.pakn_public = True
    return view


def token_required(*roles: str):
    """A staff-only API view: 401 without a valid bearer token, 403 for a role not listed (any staff
    role when none is given). The user is ``api_user()``; the view carries ``pakn_token_roles``."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = api_user()
            if user is None:
                return unauthorized()
            if roles and user.role not in roles:
                return {"error": gettext("Bạn không có quyền thực hiện thao tác này.")}, 403
            return view(*args, **kwargs)
        wrapped.pakn_token_roles = frozenset(roles or STAFF_ROLES)
        return wrapped
    return decorator
