"""One screen per role, plus help and dialogs."""
