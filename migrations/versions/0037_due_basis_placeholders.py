"""The basis stored with each due date (``feedback.due_basis``) names the deadline rules' counts as
placeholders, filled in with the department's own (PAKN_DEADLINES) where it is shown, and cites the national
index, not QĐ 574/TT 02, for the unit's 15 days from forwarding: the bases stored before say so too.

Revision ID: 0037
Revises: 0036
"""
import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

# (the text stored until 0036, the text from 0037), one per rule; the stored text is the msgid pages translate
BASES = [
    ('NĐ 20/2008/NĐ-CP, Điều 9.1d: phân loại, chuyển xử lý trong 05 ngày làm việc kể từ ngày tiếp '
     'nhận',
     'NĐ 20/2008/NĐ-CP, Điều 9.1d: phân loại, chuyển xử lý trong %(classify_days)s ngày làm việc kể '
     'từ ngày tiếp nhận'),
    ('Bộ chỉ số quốc gia về PAKN: người gửi bổ sung thông tin trong 05 ngày làm việc; thời hạn xử lý '
     'tạm dừng trong thời gian chờ',
     'Bộ chỉ số quốc gia về PAKN: người gửi bổ sung thông tin trong %(citizen_info_days)s ngày làm '
     'việc; thời hạn xử lý tạm dừng trong thời gian chờ'),
    ('QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: đơn vị xử lý trong 15 ngày làm việc kể từ khi được chuyển, '
     'toàn bộ không quá 20 ngày làm việc kể từ ngày tiếp nhận',
     'Bộ chỉ số quốc gia về PAKN: đơn vị xử lý trong %(answer_days)s ngày làm việc kể từ khi được '
     'chuyển; QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: toàn bộ không quá %(case_total_days)s ngày làm việc '
     'kể từ ngày tiếp nhận'),
    ('TT 02/2017/TT-VPCP: công khai kết quả trong 02 ngày làm việc sau khi trả lời',
     'TT 02/2017/TT-VPCP: công khai kết quả trong %(publish_days)s ngày làm việc sau khi trả lời'),
    ('QĐ 31/2021/QĐ-TTg, Điều 46: câu trả lời chưa phù hợp được trả lại đơn vị trước khi công khai; '
     'thời hạn hoàn thiện 05 ngày làm việc kể từ ngày trả lại do Sở quy định (văn bản không quy định)',
     'QĐ 31/2021/QĐ-TTg, Điều 46: câu trả lời chưa phù hợp được trả lại đơn vị trước khi công khai; '
     'thời hạn hoàn thiện %(revise_answer_days)s ngày làm việc kể từ ngày trả lại do Sở quy định (văn '
     'bản không quy định)'),
    ('QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: toàn bộ việc xử lý, trả lời không quá 20 ngày làm việc kể từ '
     'ngày tiếp nhận',
     'QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: toàn bộ việc xử lý, trả lời không quá %(case_total_days)s '
     'ngày làm việc kể từ ngày tiếp nhận'),
    ('NĐ 20/2008/NĐ-CP, Điều 9.1d: đơn vị trả lại Văn phòng; phân loại, chuyển xử lý lại trong 05 '
     'ngày làm việc kể từ ngày trả lại (Sở quy định), không quá 20 ngày làm việc kể từ ngày tiếp nhận',
     'NĐ 20/2008/NĐ-CP, Điều 9.1d: đơn vị trả lại Văn phòng; phân loại, chuyển xử lý lại trong '
     '%(classify_days)s ngày làm việc kể từ ngày trả lại (Sở quy định); QĐ 574/QĐ-TTg, TT '
     '02/2017/TT-VPCP: toàn bộ không quá %(case_total_days)s ngày làm việc kể từ ngày tiếp nhận'),
]


def _rewrite(pairs):
    update = sa.text("UPDATE feedback SET due_basis = :to WHERE due_basis = :was")
    for was, to in pairs:
        op.get_bind().execute(update, {"was": was, "to": to})


def upgrade():
    _rewrite(BASES)


def downgrade():
    _rewrite([(to, was) for was, to in BASES])
