"""Renders one handover's certificate in a process of its own and prints what
it cost as JSON: ``python -m tests.benchmarks.certificate_worker ID RUNS``.

A fresh process so that its peak resident memory (VmHWM) belongs to the
certificate: Django and WeasyPrint loaded, then the data gathered and the
PDF rendered ``RUNS`` times; then once more under ``tracemalloc`` for the
peak of Python's own heap (not counted in the peak above)."""

import json
import os
import sys
import time
import tracemalloc


def _high_water_kb() -> int:
    """Peak resident memory of this process image (VmHWM). Not ``ru_maxrss``:
    Linux carries that over from the parent across exec."""
    for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main(handover_id: int, runs: int):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    import weasyprint  # noqa: F401 - loaded before the baseline is taken
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils.translation import override

    from cms.models import Handover
    from cms.services.certificates import chain_head
    from reports.certificates import render_certificate_pdf
    from reports.services import certificate_data

    def render():
        handover = Handover.objects.select_related(
            "employee__department", "template", "template_revision"
        ).get(pk=handover_id)
        with override(handover.language):
            data = certificate_data(
                handover, code="BENC-HMAR-K000", root_hash=chain_head(handover)
            )
            return data, render_certificate_pdf(data)

    baseline_kb = _high_water_kb()
    seconds, sizes, queries = [], [], None
    for _run in range(runs):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            data, pdf = render()
        seconds.append(time.perf_counter() - began)
        queries = len(captured)
        sizes.append(len(pdf))
    # The peak before tracing: tracemalloc's own bookkeeping takes memory too.
    peak_kb = _high_water_kb()
    tracemalloc.start()
    render()
    _current, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    items = sum(len(section.items) for section in data.sections)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "items": items,
                "pdf_bytes": sizes[-1],
                "queries": queries,
                "rss_before_kb": baseline_kb,
                "rss_peak_kb": peak_kb,
                "python_peak_kb": python_peak // 1024,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
