"""Fixtures of the working_backwards tests: a realistic good PR/FAQ, and PR/FAQs made through the services."""

from __future__ import annotations

import pytest

GOOD_PRFAQ = {
    "headline": "Acme Pay Later lets small shops offer instalments at checkout",
    "subheading": "Shop owners add a pay-in-four option in ten minutes and are paid in full the next day.",
    "launch_date": "Seattle, 1 March 2027",
    "summary": (
        "Today Acme launches Pay Later for the 40,000 shops that sell through Acme Checkout. Their customers can "
        "split a purchase over 50 dollars into four payments, two weeks apart, with no interest and no fee. The "
        "shop is paid the full price the next business day."
    ),
    "customer": (
        "Maria runs a bicycle repair shop in Tacoma with two employees. Half of her sales are repairs between 150 "
        "and 600 dollars, often after an accident or a theft, when her customers did not plan to spend money."
    ),
    "problem": (
        "When a repair costs more than her customer expected, one in five leaves without the bicycle or asks Maria "
        "to wait for the money. She cannot offer credit herself: a bank's merchant financing needs a credit check "
        "of the shop, a contract of twelve pages and a minimum of 250,000 dollars of sales a year."
    ),
    "solution": (
        "With Pay Later, Maria ticks one box in her Acme Checkout settings. At the counter, her customer chooses "
        '"four payments" on the card reader, answers two questions and is approved in under ten seconds. Acme '
        "takes the risk of late payments; Maria pays a flat 3% and gets the full amount the next business day."
    ),
    "leader_quote": (
        '"Small shops told us they lose sales they have already earned, at the last step," said Ann Lee, who '
        'leads Checkout. "Pay Later gives them the same tool the big stores have, without the paperwork."'
    ),
    "getting_started": "Open Settings, then Payments, tick Pay Later and accept the two-page terms. That is all.",
    "customer_quote": (
        '"Last month three customers took their bikes home the same day instead of leaving them with me for a '
        'week," said Maria Alvarez, owner of Spoke & Wheel in Tacoma.'
    ),
    "external_faq": (
        "**What does it cost the shopper?** Nothing, when they pay on time. A late payment costs 7 dollars, once.\n\n"
        "**Which purchases qualify?** From 50 to 1,500 dollars, in the United States, to start."
    ),
    "market_size": "40,000 shops on Acme Checkout; 9,000 of them sell items over 150 dollars each week.",
    "economics": "At 3% per sale and 1.2% expected losses, each 100 dollars of sales earns 1.10 dollars after costs.",
    "dependencies": "Payments (the card reader's new screen), Identity (the two-question approval), Risk (limits).",
    "risks": "Losses above 2% would make it unprofitable; we start with a limit of 1,500 dollars per shopper.",
    "internal_faq": "We will not build collections ourselves: a partner collects late payments after 30 days.",
}


@pytest.fixture
def good_parts() -> dict[str, str]:
    return dict(GOOD_PRFAQ)
