"""Jinja2 templates of the HTML report (package data; a package so they ship in the wheel)."""
