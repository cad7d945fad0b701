"""The ILL rules: statuses, transitions and fee arithmetic. No Flask in here."""
