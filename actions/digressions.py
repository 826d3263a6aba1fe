"""Intents that interrupt the profile form: they get their own answer, then the form resumes.

The same list as ``&digressions`` in domain.yml (tests/actions/test_digressions.py checks it) and the rules in
data/rules/form.yml.
"""

DIGRESSIONS = frozenset(
    {
        "faq_association", "faq_insurance", "faq_minimum_age", "faq_time_commitment", "faq_expenses",
        "faq_training", "faq_remote", "faq_attestation", "faq_personal_data", "faq_contact",
        "faq_accessibility", "faq_background_check", "faq_stop_anytime", "bot_challenge", "out_of_scope",
        "other_language",
        "stop", "goodbye", "start_over", "human_handoff", "show_my_data", "delete_my_data", "show_missions",
        "shift_practical",  # parking, being late, coming with someone (issue 18)
        "unfinished_profile_nudge", "stop_nudges",  # re-engagement (issue 18, part D)
        # said first by the application (data/rules/injected.yml)
        "shift_reminder", "shift_reminder_followup", "shift_checkin", "shift_cancelled", "yearly_summary",
        "inactive_suggestion", "mission_invitation", "retention_notice",
    }
)  # fmt: skip
