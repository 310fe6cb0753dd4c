"""Mechanisms: the operating mechanisms of a service-oriented engineering organization."""
