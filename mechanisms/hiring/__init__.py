"""Hiring (MECHANISMS.md §5): owns leadership principles, job openings, candidates and their résumés, interview
loops, interviews, sealed feedback, the debrief and the decision, and the mechanism's health figures.

Public modules: ``contracts`` and ``services``. ``policy`` alone decides who sees and does what; ``rules`` holds
the pure loop rules; ``machines`` the opening and loop machines.
"""
