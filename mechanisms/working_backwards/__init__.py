"""Working backwards (MECHANISMS.md §6): PR/FAQs reviewed in widening circles (draft, circle 2 a small group,
circle 3 the org's leadership, circle 4 the top), advanced or shelved by each circle's reviewer, approved for
staffing with mockups attached; the funnel of how far ideas got and why they stopped; six-page narratives read in
silent reading sessions. The bodies are documents (the documents app). Public: `contracts.py`, `services.py`."""
