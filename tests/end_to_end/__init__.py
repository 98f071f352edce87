"""Whole pytest runs of copied projects (pytester), the command line and the reports."""
