"""REST API of the notifications app (thin: parse, call one service, render)."""

from ninja import Router

router = Router()
