"""Interoperability: the FHIR R4 API under /fhir/ and its registry of resource mappers.

Each domain app maps its own models in its ``fhir.py`` and registers them from ``ready()``; this
package never imports the domain apps (DESIGN.md: dependencies flow one way).
"""
