"""Indicators (per-complaint facts, monthly roll-ups, resolution-time histograms), complaint findings,
improvement commitments, the action-plan tracker (realisations, updates, evidence, training attendance),
the self-assessment (rounds, responses, answers, priorities), and an index to find what a handler did when.

Revision ID: 3c8d2e7f9a41
Revises: 1d8e816f380b
Create Date: 2026-11-29 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3c8d2e7f9a41'
down_revision = '1d8e816f380b'
branch_labels = None
depends_on = None

# What one complaint contributes to the indicators (models._IndicatorCounts), as of this revision.
COUNTS = [
    'received',
    'open',
    'resolved',
    'closed_confirmed',
    'closed_auto',
    'closed_admin',
    'transferred',
    'archived',
    'archived_out_of_scope',
    'archived_duplicate',
    'archived_unintelligible',
    'archived_spam',
    'archived_incomplete',
    'archived_withdrawn',
    'verification_met',
    'verification_breached',
    'response_met',
    'response_breached',
    'resolved_on_time',
    'resolution_breached',
    'escalated',
    'escalated_level2',
    'escalated_level3',
    'bounced',
    'bounces',
    'reopened',
    'reopens',
    'ever_closed',
    'resolve_days_count',
    'resolve_days_sum',
    'rated',
    'rating_sum',
    'satisfied',
    'tagged',
    'failure_procedure',
    'failure_facilities',
    'failure_cost',
    'failure_staff',
    'substantiated',
    'unsubstantiated',
    'dispositioned',
    'open_overdue',
]


def _counts():
    return [sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS]


def upgrade():
    op.create_table('indicator_durations',
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.CheckConstraint('working_days >= 0', name=op.f('ck_indicator_durations_working_days')),
    sa.PrimaryKeyConstraint('month', 'dimension', 'key', 'working_days', name=op.f('pk_indicator_durations'))
    )
    op.create_table('indicator_rollups',
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    *_counts(),
    sa.PrimaryKeyConstraint('month', 'dimension', 'key', name=op.f('pk_indicator_rollups'))
    )
    op.create_table('improvement_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('failure_kind', sa.String(length=16), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress_note', sa.Text(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'done') = (done_on IS NOT NULL)", name=op.f('ck_improvement_commitments_done_has_date')),
    sa.CheckConstraint("failure_kind IS NULL OR failure_kind IN ('procedure', 'facilities', 'cost', 'staff')", name=op.f('ck_improvement_commitments_failure_kind')),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')", name=op.f('ck_improvement_commitments_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_improvement_commitments_created_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_improvement_commitments_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_improvement_commitments_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_commitments'))
    )
    with op.batch_alter_table('improvement_commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_commitments_unit_id'), ['unit_id'], unique=False)

    op.create_table('programme_realisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_code', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('not_started', 'in_progress', 'done', 'not_done')", name=op.f('ck_programme_realisations_status')),
    sa.CheckConstraint('percent IS NULL OR (percent BETWEEN 0 AND 100)', name=op.f('ck_programme_realisations_percent')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_programme_realisations_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_realisations')),
    sa.UniqueConstraint('activity_code', 'year', name=op.f('uq_programme_realisations_activity_code_year'))
    )
    op.create_table('training_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_code', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('attended_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_training_attendance_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_attendance_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attendance')),
    sa.UniqueConstraint('activity_code', 'user_id', 'attended_on', name=op.f('uq_training_attendance_activity_code_user_id_attended_on'))
    )
    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('assessment_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sop_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_assessment_rounds_closed_has_time')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_assessment_rounds_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_assessment_rounds_closed_by_id_users')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_assessment_rounds_opened_by_id_users')),
    sa.ForeignKeyConstraint(['sop_version_id'], ['sop_versions.id'], name=op.f('fk_assessment_rounds_sop_version_id_sop_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_rounds'))
    )
    op.create_table('programme_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('realisation_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('size > 0', name=op.f('ck_programme_evidence_size_positive')),
    sa.ForeignKeyConstraint(['realisation_id'], ['programme_realisations.id'], name=op.f('fk_programme_evidence_realisation_id_programme_realisations')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_programme_evidence_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_programme_evidence_stored_name'))
    )
    with op.batch_alter_table('programme_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_evidence_realisation_id'), ['realisation_id'], unique=False)

    op.create_table('programme_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('realisation_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['realisation_id'], ['programme_realisations.id'], name=op.f('fk_programme_updates_realisation_id_programme_realisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_programme_updates_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_updates'))
    )
    with op.batch_alter_table('programme_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_updates_realisation_id'), ['realisation_id'], unique=False)

    op.create_table('assessment_priorities',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('aspect', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('tie_ordered', sa.Boolean(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('priority >= 1', name=op.f('ck_assessment_priorities_priority')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_assessment_priorities_decided_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_rounds.id'], name=op.f('fk_assessment_priorities_round_id_assessment_rounds')),
    sa.PrimaryKeyConstraint('round_id', 'aspect', name=op.f('pk_assessment_priorities')),
    sa.UniqueConstraint('round_id', 'priority', name=op.f('uq_assessment_priorities_round_id_priority'))
    )
    op.create_table('assessment_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_rounds.id'], name=op.f('fk_assessment_responses_round_id_assessment_rounds')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_assessment_responses_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assessment_responses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_responses')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_assessment_responses_round_id_user_id'))
    )
    with op.batch_alter_table('assessment_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_responses_round_id'), ['round_id'], unique=False)

    op.create_table('complaint_findings',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('procedure', sa.Boolean(), nullable=False),
    sa.Column('facilities', sa.Boolean(), nullable=False),
    sa.Column('cost', sa.Boolean(), nullable=False),
    sa.Column('staff', sa.Boolean(), nullable=False),
    sa.Column('substantiated', sa.Boolean(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_findings_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_complaint_findings_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_complaint_findings_unit_id_units')),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_complaint_findings'))
    )
    with op.batch_alter_table('complaint_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_findings_unit_id'), ['unit_id'], unique=False)

    op.create_table('indicator_facts',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('opd', sa.String(length=32), nullable=False),
    sa.Column('class_code', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kecamatan', sa.String(length=100), nullable=False),
    sa.Column('gender', sa.String(length=16), nullable=False),
    sa.Column('disability', sa.String(length=8), nullable=False),
    sa.Column('marginal_group', sa.String(length=64), nullable=False),
    sa.Column('resolve_days', sa.Integer(), nullable=True),
    *_counts(),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_indicator_facts_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_indicator_facts'))
    )
    op.create_table('assessment_answers',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 4', name=op.f('ck_assessment_answers_score')),
    sa.ForeignKeyConstraint(['response_id'], ['assessment_responses.id'], name=op.f('fk_assessment_answers_response_id_assessment_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'statement', name=op.f('pk_assessment_answers'))
    )
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_events_actor_id_at', ['actor_id', 'at'], unique=False)



def downgrade():
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_events_actor_id_at')

    op.drop_table('assessment_answers')
    op.drop_table('indicator_facts')
    with op.batch_alter_table('complaint_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_findings_unit_id'))

    op.drop_table('complaint_findings')
    with op.batch_alter_table('assessment_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_responses_round_id'))

    op.drop_table('assessment_responses')
    op.drop_table('assessment_priorities')
    with op.batch_alter_table('programme_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_updates_realisation_id'))

    op.drop_table('programme_updates')
    with op.batch_alter_table('programme_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_evidence_realisation_id'))

    op.drop_table('programme_evidence')
    op.drop_table('assessment_rounds')
    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_attendance_user_id'))

    op.drop_table('training_attendance')
    op.drop_table('programme_realisations')
    with op.batch_alter_table('improvement_commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_commitments_unit_id'))

    op.drop_table('improvement_commitments')
    op.drop_table('indicator_rollups')
    op.drop_table('indicator_durations')
