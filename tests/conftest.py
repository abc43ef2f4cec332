"""Session setup that must happen before any test imports jax."""

import os

# pmap tests need several devices; XLA fakes 4 CPU devices with this flag.
_DEVICES = "--xla_force_host_platform_device_count=4"
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_DEVICES}".strip()
# Same results on every machine, with or without an accelerator.
os.environ["JAX_PLATFORMS"] = "cpu"

import jax  # only after the environment above is set

# Printed jaxprs carry ANSI colour codes unless this is off; tests compare plain text.
try:
    jax.config.update("jax_pprint_use_color", False)
except AttributeError:  # option absent in this JAX release
    pass
