"""The self-contained HTML report: a data contract, a builder from results directories, a renderer.

* :mod:`harness.report.data` -- :class:`ReportData` and its parts (the contract; JSON form via
  ``to_dict`` / ``from_dict``);
* :mod:`harness.report.collect` -- ``collect_report(results_dir, models, benchmarks, ...)`` builds it
  from ``<results>/<model>/<benchmark>/`` files (per-benchmark readers in :mod:`harness.report.items`);
* :mod:`harness.report.html` -- ``render_report(data)`` / ``write_report(data, path)``: one HTML file
  with its script and style inlined (``assets/``), loading nothing.
"""
