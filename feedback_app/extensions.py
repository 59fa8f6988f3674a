"""Extensions, created once and bound to the app in the factory."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from .security import rate_limit_key

# Named constraints, so that Alembic migrations can drop and alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# every limit counts a client as security.client_key does: an IPv6 /64 is one client. A shared store
# (RATELIMIT_STORAGE_URI=redis://…) that is down must not stop citizens submitting or staff signing in:
# each process counts in its own memory meanwhile (and logs it), as with memory://, and goes back to it
# (set in create_app for a shared store only)
limiter = Limiter(key_func=rate_limit_key, default_limits=[])
