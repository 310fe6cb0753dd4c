"""Catalog: services, their interfaces and datastores, the dependency edges between them (consumes an
interface, accesses a datastore, links another service's code), and ownership history (MECHANISMS.md §2).

Public modules: `contracts` and `services`. Owner teams are org's: referenced by id, validated through
`org.services`.
"""
