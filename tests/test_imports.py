"""``import vmapviz`` is light: no widget libraries, no XLA backend (issue 12).

Each check runs in a fresh interpreter: this test process has long since imported
vmapviz, its widgets and a started backend.
"""

import os
import subprocess
import sys
import textwrap


def run_fresh(code: str) -> str:
    """Run ``code`` in a new Python with JAX_PLATFORMS=cpu and no XLA_FLAGS; its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def test_import_loads_no_widget_library_and_no_backend_and_inspect_still_works():
    out = run_fresh(
        """
        import os
        import sys

        assert "XLA_FLAGS" not in os.environ
        import vmapviz

        loaded = [m for m in ("IPython", "ipywidgets", "anywidget") if m in sys.modules]
        assert loaded == [], f"import vmapviz loaded {loaded}"
        from jax._src import xla_bridge

        assert xla_bridge._backends == {}, f"backend started: {list(xla_bridge._backends)}"
        assert not xla_bridge.backends_are_initialized()

        # set after the import: only takes effect if the backend has not started yet
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
        import jax
        import jax.numpy as jnp

        assert jax.device_count() == 4, jax.devices()
        assert "anywidget" not in sys.modules

        ins = vmapviz.inspect(lambda x: x + 1, jnp.ones(2))
        assert repr(ins) == "Inspector(mapping='<lambda>', lanes=2, states=[])", repr(ins)
        assert "anywidget" in sys.modules
        assert isinstance(ins, vmapviz.widgets.Inspector)  # anywidget subclasses per instance
        print("ok")
        """
    )
    assert out.strip().splitlines()[-1] == "ok"


def test_widgets_attribute_is_loaded_on_first_use():
    out = run_fresh(
        """
        import sys

        import vmapviz

        assert "vmapviz.widgets" not in sys.modules
        assert "widgets" in dir(vmapviz)
        w = vmapviz.widgets
        assert w is sys.modules["vmapviz.widgets"]
        assert w.inspect.__module__ == "vmapviz.widgets"
        assert "anywidget" in sys.modules
        try:
            vmapviz.no_such_thing
        except AttributeError as e:
            assert "no_such_thing" in str(e)
        else:
            raise AssertionError("vmapviz.no_such_thing did not raise AttributeError")
        print("ok")
        """
    )
    assert out.strip().splitlines()[-1] == "ok"


def test_mapping_widget_method_imports_the_widgets_itself():
    out = run_fresh(
        """
        import sys

        import jax.numpy as jnp

        from vmapviz.transform import vmap2

        m = vmap2(lambda x: x * 2)
        assert "anywidget" not in sys.modules
        print(repr(m.widget(jnp.ones(3))))
        """
    )
    assert out.strip().splitlines()[-1] == "Inspector(mapping='<lambda>', lanes=3, states=[])"
