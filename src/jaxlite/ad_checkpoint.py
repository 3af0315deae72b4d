"""jax.ad_checkpoint."""

from jaxlite._src.ad_checkpoint import (Offloadable, Recompute, Saveable, checkpoint_name,  # noqa: F401
                                        checkpoint_policies, print_saved_residuals, saved_residuals)
from jaxlite._src.remat import checkpoint  # noqa: F401
