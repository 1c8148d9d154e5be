"""Import and export: CSV and Excel tables, Microsoft Project XML, whole-workspace JSON backups.

Every import is all-or-nothing in the caller's transaction and goes through the repositories, so
validation and the change history apply; every refusal names the row and column of each problem.
"""
