"""jax.ad_checkpoint."""

from jaxlite._src.ad_checkpoint import (checkpoint_name, checkpoint_policies, print_saved_residuals,  # noqa: F401
                                        saved_residuals)
from jaxlite._src.remat import checkpoint  # noqa: F401
