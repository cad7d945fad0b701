"""records: natural sort keys of title and volume (第2号 before 第10号)

Revision ID: d2b7c9e4a1f0
Revises: c4a8e2f7b913
Create Date: 2026-12-01 11:10:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'd2b7c9e4a1f0'
down_revision = 'c4a8e2f7b913'
branch_labels = None
depends_on = None


def natural_key(text, length):  # as portal.workflow.sorting.natural_key when written
    normal = unicodedata.normalize("NFKC", text or "").casefold().strip()
    return re.sub(r"[0-9]+", lambda m: f"{len(m.group().lstrip('0') or '0'):02d}{m.group().lstrip('0') or '0'}",
                  normal)[:length]


def upgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('volume_key', sa.String(length=100), nullable=True))
    records = sa.table("records", sa.column("id", sa.Integer), sa.column("title", sa.String),
                       sa.column("bib_note", sa.Text), sa.column("volume", sa.String),
                       sa.column("title_key", sa.String), sa.column("volume_key", sa.String))
    connection = op.get_bind()
    for row in connection.execute(sa.select(records.c.id, records.c.title, records.c.bib_note, records.c.volume)).all():
        connection.execute(records.update().where(records.c.id == row.id).values(
            title_key=natural_key(row.title or row.bib_note, 200), volume_key=natural_key(row.volume, 100)))
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.alter_column('title_key', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('volume_key', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_index('ix_records_title_key', ['title_key', 'volume_key'], unique=False)


def downgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_title_key')
        batch_op.drop_column('volume_key')
        batch_op.drop_column('title_key')
