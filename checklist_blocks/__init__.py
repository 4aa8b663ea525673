"""Checklist blocks for handover templates.

Import blocks from ``checklist_blocks.blocks`` and kind metadata from
``checklist_blocks.registry``; this package itself imports nothing so that it
stays cheap to load.
"""
