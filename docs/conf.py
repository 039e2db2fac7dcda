"""Sphinx configuration of the exlink documentation (built with -W: warnings are errors)."""

import exlink

project = "exlink"
author = "the exlink developers"
release = exlink.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "undoc-members": False}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"exlink {release}"
suppress_warnings = ["ref.python"]
