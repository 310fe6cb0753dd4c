"""Documents (DESIGN.md §2-§3): anything with revisions and comments, for the apps that own such records (PR/FAQs
and narratives in working_backwards, job descriptions in hiring, later corrections of error). A document is owned
by a record of another app, named by (owner kind, owner id); every read and write asks the owning app what this
person may do (`register_owner`). It keeps every revision with diffs, comments anchored to passages that survive
later revisions, attachments stored behind the owner's access check, and reading sessions in which each reader's
comments stay hidden until they finish reading. Public: `contracts.py`, `services.py`."""
