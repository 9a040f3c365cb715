"""Telling people things outside the app: email (and push), and who gets an alert."""
