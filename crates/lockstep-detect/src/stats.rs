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

/// A strength in [0, 1) from a linear score `x` that used to be clipped at 1: `x` itself up to
/// 0.9, then an exponential approach to 1 (continuous, strictly increasing). Clipping tied
/// every account past the top — a farm account two orders of magnitude beyond chance with
/// one three orders beyond, a fan with a farm worker — and ties lose the order that analysts'
/// queues and ranking metrics (AP, ROC-AUC) read. Flags do not move: evidence at or above
/// 0.9 stays there.
pub fn soft_unit(x: f64) -> f64 {
    if x <= 0.9 {
        x.max(0.0)
    } else {
        0.9 + 0.1 * (1.0 - (-(x - 0.9) / 0.1).exp())
    }
}

#[cfg(test)]
mod soft_unit_tests {
    use super::soft_unit;

    #[test]
    fn keeps_order_past_one_and_never_reaches_it() {
        assert_eq!(soft_unit(-1.0), 0.0);
        assert_eq!(soft_unit(0.5), 0.5);
        assert_eq!(soft_unit(0.9), 0.9);
        let (a, b, c) = (soft_unit(1.0), soft_unit(1.5), soft_unit(3.0));
        assert!(0.9 < a && a < b && b < c && c < 1.0, "{a} {b} {c}");
        // Continuous at the knee.
        assert!((soft_unit(0.900001) - 0.9).abs() < 1e-5);
    }
}
