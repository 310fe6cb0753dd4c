"""Data: the default leadership principles an opening may assess (Amazon's sixteen), each with a one-line
description of what an interviewer looks for. Admins and company-wide recruiters change the list afterwards."""

from django.db import migrations

PRINCIPLES = [
    ("customer-obsession", "Customer Obsession", "Starts from what customers need and works back from it."),
    ("ownership", "Ownership", "Acts for the long term and for the whole company, never says 'not my job'."),
    ("invent-and-simplify", "Invent and Simplify", "Looks for new ideas anywhere and makes things simpler."),
    ("are-right-a-lot", "Are Right, A Lot", "Judges well, seeks views that differ, and tests their own beliefs."),
    ("learn-and-be-curious", "Learn and Be Curious", "Keeps learning and explores new possibilities."),
    ("hire-and-develop-the-best", "Hire and Develop the Best", "Raises the bar with each hire and grows people."),
    (
        "insist-on-the-highest-standards",
        "Insist on the Highest Standards",
        "Keeps raising the bar and fixes defects so they stay fixed.",
    ),
    ("think-big", "Think Big", "Sets a bold direction that inspires results beyond the obvious."),
    ("bias-for-action", "Bias for Action", "Moves fast when a decision can be undone; takes calculated risks."),
    ("frugality", "Frugality", "Achieves more with less; constraints breed resourcefulness."),
    ("earn-trust", "Earn Trust", "Listens, speaks candidly, treats others with respect, admits their mistakes."),
    ("dive-deep", "Dive Deep", "Stays close to the details, audits often, and questions figures that look wrong."),
    (
        "have-backbone-disagree-and-commit",
        "Have Backbone; Disagree and Commit",
        "Challenges decisions respectfully, then commits fully once one is made.",
    ),
    ("deliver-results", "Deliver Results", "Delivers the inputs that matter, on time and with quality."),
    (
        "strive-to-be-earths-best-employer",
        "Strive to be Earth's Best Employer",
        "Builds a safer, fairer, more engaging workplace where people grow.",
    ),
    (
        "success-and-scale-bring-broad-responsibility",
        "Success and Scale Bring Broad Responsibility",
        "Weighs the wider effects of their work on people, communities and the world.",
    ),
]


def add_defaults(apps, schema_editor):
    Principle = apps.get_model("hiring", "Principle")
    for position, (slug, name, description) in enumerate(PRINCIPLES, start=1):
        Principle.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def remove_defaults(apps, schema_editor):
    Principle = apps.get_model("hiring", "Principle")
    Principle.objects.filter(slug__in=[slug for slug, _, _ in PRINCIPLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("hiring", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
