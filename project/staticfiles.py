"""What ``manage.py collectstatic`` leaves out of STATIC_ROOT.

viewflow's wheel ships, beside its frontend, copies of the npm packages it was built from
(``node_modules/``) and the Plotly Dash bundles of ``viewflow.contrib.plotly``, which this
project does not install. Neither is linked from any page. Leaving them out matters twice:
one CSS file under ``node_modules`` points at fonts the wheel does not contain, which makes
the hashing storage (``STATIC_MANIFEST``) fail the whole collectstatic; and compressing Dash's
plotly bundles and source maps takes about two minutes of CPU (27 s without them, 2 cores).
"""

from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class StaticFilesConfig(DjangoStaticFilesConfig):
    # Directory names match at any depth; file paths are matched from the app's static root.
    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, "node_modules", "viewflow/js/contrib/dash/*"]
