"""jaxlite.display: look at arrays in the REPL, in Jupyter/JupyterLite and in a terminal, without matplotlib.

Not part of JAX: ``imshow`` (PNG), ``plot`` (SVG line charts), ``progress`` (a tqdm-like bar) and
``show``, with hooks the jaxlite REPL registers to draw them on its page.
"""

from jaxlite._src.display.colormaps import colormap_names
from jaxlite._src.display.image import Image, imshow
from jaxlite._src.display.plot import Chart, plot
from jaxlite._src.display.png import encode_png
from jaxlite._src.display.progress import progress, set_progress_handler
from jaxlite._src.display.show import mime_bundle, set_display_handler, show

__all__ = ["Chart", "Image", "colormap_names", "encode_png", "imshow", "mime_bundle", "plot", "progress",
           "set_display_handler", "set_progress_handler", "show"]
