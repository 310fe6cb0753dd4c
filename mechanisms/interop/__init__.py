"""Formats of other tools: pure translation, no tables.

``backstage`` reads Backstage catalog descriptor files, ``offline`` turns them into the mandate's
``CatalogSnapshot``, ``sarif`` writes findings as SARIF 2.1.0 and ``cli`` is the offline ``mech check``, which
``workers`` lets share its work with a forked helper process. None of these modules imports Django.
"""
