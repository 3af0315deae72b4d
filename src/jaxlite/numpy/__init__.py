"""jax.numpy for jaxlite."""

from jaxlite._src import api as _api  # noqa: F401
from jaxlite._src.array import Array as ndarray  # noqa: F401
from jaxlite._src.numpy.lax_numpy import *  # noqa: F401,F403
from jaxlite._src.numpy.lax_numpy import (abs, divmod, pow, round)  # noqa: F401
from jaxlite._src.numpy.reductions import (all, amax, amin, any, argmax, argmin, average,  # noqa: F401
                                           cummax, cumprod, cumsum, cumulative_prod, cumulative_sum, max, mean,
                                           min, nanmax, nanmean, nanmin, nansum, prod, ptp, std, sum, var)
from jaxlite._src.numpy.util import asarray, broadcast_shapes, broadcast_to  # noqa: F401
from jaxlite._src.numpy.sorting import (argsort, argwhere, flatnonzero, median, nonzero, percentile,  # noqa: F401
                                        quantile, searchsorted, sort)
from jaxlite._src.numpy.indexing import NonConcreteBooleanIndexError  # noqa: F401
