"""ganzoo's version and the names it is published under: the one place each is written.

pyproject.toml reads the version from here; tests/test_distributions.py checks every
pyproject.toml, ``pip install`` hint and document against :data:`DISTRIBUTIONS`.
"""

__version__ = "0.1.0"

#: what each distribution holds -> its name on the package index. ``ganzoo`` there is an unrelated
#: project (0.0.1, 2018), so the core is ``ganzoo-core``; the import package and the ``ganzoo``
#: command keep their name. Plugins are ``ganzoo-<family>``, as the scaffold names a new one.
DISTRIBUTIONS = {
    "core": "ganzoo-core",
    "dcgan": "ganzoo-dcgan",
    "gan": "ganzoo-gan",
    "lsgan-sn": "ganzoo-lsgan-sn",
    "pix2pix": "ganzoo-pix2pix",
    "stackgan": "ganzoo-stackgan",
    "ugatit": "ganzoo-ugatit",
}
#: the distribution of the built-in components and the packaged zoo.toml.
CORE_DISTRIBUTION = DISTRIBUTIONS["core"]
#: the core's name in runs and exports written before the rename (0.1.0): still the core.
FORMER_CORE_DISTRIBUTIONS = ("ganzoo",)
#: the prefix of every plugin distribution, the scaffold's included.
PLUGIN_PREFIX = "ganzoo-"
#: the optional extras of the core: ``pip install 'ganzoo-core[hub]'``.
HUB_EXTRA = f"{CORE_DISTRIBUTION}[hub]"
