"""python-gitlab as the GitLab connector speaks it."""

from __future__ import annotations

import gitlab
from django.utils.translation import gettext_lazy as _
from gitlab.exceptions import GitlabError, GitlabGetError

from ...sdk.common import too_many_pages
from ...sdk.http import HttpConnector
from ...sdk.payloads import parse_each
from ...sdk.vendor import LastResponse, upstream_errors

PER_PAGE = 100
MAX_PAGES = 100


class Client(gitlab.Gitlab):
    """python-gitlab on the connector's session, with Baton's error translation
    (``calls``); it never sleeps on HTTP 429 (the sync engine retries later), and
    request ids come from the session's last answer (``responses``)."""

    def __init__(self, connector, *, token):
        session = connector.http.session
        super().__init__(
            connector.base_url,
            private_token=token,
            timeout=connector.timeout,
            ssl_verify=session.verify,
            session=session,
            per_page=PER_PAGE,
            keep_base_url=True,
        )
        self.connector = connector
        self.responses = LastResponse(session)

    def http_request(self, *args, **kwargs):
        kwargs["obey_rate_limit"] = False
        return super().http_request(*args, **kwargs)

    def calls(self, *, not_found=None, forbidden=None):
        """A block whose python-gitlab errors become Baton's."""
        return upstream_errors(
            self.connector,
            refused=HttpConnector.refused_message
            % {"host": self.connector.host, "status": 401},
            not_found=not_found,
            forbidden=forbidden
            or _("The GitLab token may not do this (HTTP 403): %(detail)s"),
            library_errors=(GitlabError,),
            responses=self.responses,
        )

    def found(self, manager, key) -> dict | None:
        """``manager.get(key)`` as a dict; None when GitLab has no such thing."""
        with self.calls():
            try:
                return manager.get(key).asdict()
            except GitlabGetError as error:
                if error.response_code == 404:
                    return None
                raise

    def each(self, model, objects):
        """The listed objects as ``model`` (odd ones left out), as they are
        paged through; an error after ``MAX_PAGES`` pages (a server that never
        stops: python-gitlab follows its links for ever)."""
        for count, item in enumerate(objects):
            if count == PER_PAGE * MAX_PAGES:
                raise too_many_pages(self.connector.host, MAX_PAGES)
            yield from parse_each(model, [item.asdict()])
