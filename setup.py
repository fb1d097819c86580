"""Packages found, not listed: every package under src/ ships as carepath.<name>.

pyproject.toml cannot rename a found root (src -> carepath), so this one computation
lives here; everything else about the build is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(packages=["carepath", *(f"carepath.{name}" for name in find_packages("src"))])
