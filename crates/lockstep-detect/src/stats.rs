//! Statistics shared by the detectors: the Poisson tail every surprise score is built on.

/// P(X ≥ x) for X ~ Poisson(λ), accurate in the far tail (summed upward, not as 1 − CDF).
pub fn poisson_tail(x: usize, lambda: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    if lambda > x as f64 {
        // Near the bulk: 1 − CDF is accurate enough.
        let mut term = (-lambda).exp();
        let mut cdf = term;
        for i in 1..x {
            term *= lambda / i as f64;
            cdf += term;
        }
        return (1.0 - cdf).max(0.0);
    }
    // log of the first term λ^x e^−λ / x!, then the ratio series.
    let mut log_term = -lambda + x as f64 * lambda.ln();
    for i in 1..=x {
        log_term -= (i as f64).ln();
    }
    let mut term = log_term.exp();
    let mut sum = 0.0;
    let mut i = x;
    while term > sum * 1e-16 && i < x + 200 {
        sum += term;
        i += 1;
        term *= lambda / i as f64;
    }
    sum.min(1.0)
}
