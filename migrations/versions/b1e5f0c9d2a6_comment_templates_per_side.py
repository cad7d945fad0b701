"""comment templates belong to a side and a command; the English gloss apart

Existing rows: a command only one side has goes to that side; the seed's CLAIM
and ANSWER texts are the lender's (renewal answers, missing pages sent); any
other template of a command both sides have is kept for both. A seed text
"日本語 (English)" becomes the text 日本語 with the gloss English, and the
seed's typo 要前頁複写許可願 reads 要全頁複写許可願.

Revision ID: b1e5f0c9d2a6
Revises: a7c3e1d2f4b5
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b1e5f0c9d2a6'
down_revision = 'a7c3e1d2f4b5'
branch_labels = None
depends_on = None

REQUESTER_ONLY = {"ORDER", "FORWARD", "CANCEL", "RETRY", "BORROW", "RENEW", "SENDBACK"}
LENDER_ONLY = {"INQUIRE", "PARDON", "SEND"}
# The seed texts as earlier versions stored them: (command, text) -> (text, gloss).
SEED = {
    ("INQUIRE", "参照不完 (incomplete citation)"): ("参照不完", "incomplete citation"),
    ("INQUIRE", "料金前納 (prepayment required)"): ("料金前納", "prepayment required"),
    ("INQUIRE", "時間がかかります (will take time)"): ("時間がかかります", "will take time"),
    ("INQUIRE", "貸出中 (on loan until …)"): ("貸出中", "on loan until …"),
    ("INQUIRE", "重複依頼 (duplicate of …)"): ("重複依頼", "duplicate of …"),
    ("INQUIRE", "要前頁複写許可願 (permission for whole-issue copy)"): ("要全頁複写許可願", "permission for whole-issue copy"),
    ("PARDON", "欠号 (missing issue)"): ("欠号", "missing issue"),
    ("PARDON", "未着 (not yet received)"): ("未着", "not yet received"),
    ("PARDON", "未所蔵 (not held)"): ("未所蔵", "not held"),
    ("PARDON", "製本中 (at the bindery)"): ("製本中", "at the bindery"),
    ("PARDON", "貸出中 (on loan)"): ("貸出中", "on loan"),
    ("PARDON", "貸し出し不可(貴重書) (not for loan: rare book)"): ("貸し出し不可(貴重書)", "not for loan: rare book"),
    ("PARDON", "複写不可(劣化資料) (no copying: fragile)"): ("複写不可(劣化資料)", "no copying: fragile"),
    ("CLAIM", "破損していました (arrived damaged)"): ("破損していました", "arrived damaged"),
    ("CLAIM", "別表が同封されていませんでした (supplement missing)"): ("別表が同封されていませんでした", "supplement missing"),
    ("CLAIM", "切手代不足 (postage short)"): ("切手代不足", "postage short"),
    ("CLAIM", "更新不可 (renewal refused)"): ("更新不可", "renewal refused"),
    ("CLAIM", "更新可 (renewal granted)"): ("更新可", "renewal granted"),
    ("ANSWER", "欠落ページを送付しました (missing pages sent)"): ("欠落ページを送付しました", "missing pages sent"),
}
SEED_LENDER_TEXTS = {text for (command, _old), (text, _gloss) in SEED.items() if command in ("CLAIM", "ANSWER")}

templates = sa.table(
    "comment_templates",
    sa.column("id", sa.Integer), sa.column("library_id", sa.Integer), sa.column("side", sa.String),
    sa.column("command", sa.String), sa.column("position", sa.Integer), sa.column("text", sa.String),
    sa.column("gloss", sa.String),
)


def upgrade():
    with op.batch_alter_table('comment_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('side', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('gloss', sa.String(length=200), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(sa.select(templates.c.id, templates.c.library_id, templates.c.command,
                                        templates.c.position, templates.c.text)).all()
    for row in rows:
        text, gloss = SEED.get((row.command, row.text), (row.text, ""))
        text = text.replace("要前頁複写許可願", "要全頁複写許可願")
        if row.command in REQUESTER_ONLY:
            sides = ["requester"]
        elif row.command in LENDER_ONLY or text in SEED_LENDER_TEXTS:
            sides = ["lender"]
        else:
            sides = ["lender", "requester"]  # a command of both sides: keep it for both
        connection.execute(templates.update().where(templates.c.id == row.id).values(
            side=sides[0], text=text, gloss=gloss))
        for side in sides[1:]:
            connection.execute(templates.insert().values(
                library_id=row.library_id, side=side, command=row.command, position=row.position,
                text=text, gloss=gloss))

    with op.batch_alter_table('comment_templates', schema=None) as batch_op:
        batch_op.alter_column('side', existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column('gloss', existing_type=sa.String(length=200), nullable=False)


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(templates.c.id, templates.c.text, templates.c.gloss)).all()
    for row in rows:
        if row.gloss:
            connection.execute(templates.update().where(templates.c.id == row.id).values(
                text=f"{row.text} ({row.gloss})"))
    with op.batch_alter_table('comment_templates', schema=None) as batch_op:
        batch_op.drop_column('gloss')
        batch_op.drop_column('side')
