"""jax.scipy.special."""

from jaxlite._src.scipy.special import (beta, betainc, betaln, bernoulli, boxcox, boxcox1p, comb,  # noqa: F401
                                        digamma, entr, erf, erfc, erfinv, expit, factorial, gamma,
                                        gammainc, gammaincc, gammaln, gammasgn, i0, i0e, i1, i1e, kl_div,
                                        log_ndtr, log_softmax, loggamma, logit, logsumexp, multigammaln,
                                        ndtr, ndtri, poch, polygamma, rel_entr, softmax, xlog1py, xlogy, zeta)
from jaxlite._src.scipy.special_more import bessel_jn, owens_t, spence  # noqa: F401
from jaxlite._src.scipy.special_extra import (dawsn, erfcx, exp1, expi, expn, fresnel, hyp1f1, hyp2f1,  # noqa: F401
                                              sici, wofz)
from jaxlite._src.scipy.sph_harm import sph_harm_y  # noqa: F401,E402
