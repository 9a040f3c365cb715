"""Saved replies (canned responses): sandboxed templates staff insert into the composer."""
