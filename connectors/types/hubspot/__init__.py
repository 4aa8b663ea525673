"""HubSpot CRM (see ``connector``)."""

from .connector import HubSpotConnector

__all__ = ["HubSpotConnector"]
