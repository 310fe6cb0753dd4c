"""REST API of the away_teams app (thin: parse, call one service, render)."""

from ninja import Router

router = Router()
