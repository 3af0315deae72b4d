"""Implementations behind jaxlite.scipy.stats."""

import inspect

# One line per method kind; each distribution class fills in its name and parameters, so the
# hundred-odd small methods need no docstring of their own.
_METHOD_DOCS = {
    "logpdf": "Log of the probability density of {dist} at {x}{params}.",
    "pdf": "Probability density of {dist} at {x}{params}.",
    "cdf": "Cumulative distribution function of {dist} at {x}{params}.",
    "logcdf": "Log of the cumulative distribution function of {dist} at {x}{params}.",
    "sf": "Survival function (1 - cdf) of {dist} at {x}{params}.",
    "logsf": "Log of the survival function (1 - cdf) of {dist} at {x}{params}.",
    "ppf": "Percent point function (inverse of the cdf) of {dist} at probability {x}{params}.",
    "isf": "Inverse survival function of {dist} at probability {x}{params}.",
    "logpmf": "Log of the probability mass of {dist} at {x}{params}.",
    "pmf": "Probability mass of {dist} at {x}{params}.",
    "entropy": "Entropy of {dist}{params}.",
}


def describe(cls, dist: str):
    """Give each method of the distribution namespace `cls` that has no docstring its line from
    _METHOD_DOCS, naming the distribution `dist` and the method's parameters."""
    for name, template in _METHOD_DOCS.items():
        fn = getattr(cls, name, None)
        if fn is None or fn.__doc__:
            continue
        args = list(inspect.signature(fn).parameters)
        x, rest = (args[0], args[1:]) if name != "entropy" else ("", args)
        params = f", with parameters {', '.join(rest)}" if rest else ""
        fn.__doc__ = template.format(dist=dist, x=x, params=params)
