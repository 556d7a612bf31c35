"""Nudges (DESIGN.md "Nudges"): the pure rules of what is due (`rules`), the words of each push
(`texts`), and the scan that builds every rep's snapshot from the database (`snapshot`)."""
