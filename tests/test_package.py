import re

import jaxlite


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", jaxlite.__version__)
